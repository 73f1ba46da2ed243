using System.Runtime.CompilerServices;

namespace WebUI.Engine.Tests;

/// <summary>
/// Finds the real model files kept in shared/models beside the repository (never copied into it). The search walks
/// up from the test assembly's folder and, since a build may put that folder anywhere (--artifacts-path), also from
/// this source file's folder.
/// </summary>
internal static class SharedModels
{
    public static string Dir(string name)
    {
        var starts = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(ThisFile()) }.OfType<string>().Where(s => s.Length > 0);
        foreach (var start in starts)
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "models", name);
                if (Directory.Exists(candidate)) return candidate;
            }
        throw new DirectoryNotFoundException(
            $"shared/models/{name} not found in any parent of {string.Join(" or ", starts)}; the tests need the shared/ folder beside the repository");
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;
}
