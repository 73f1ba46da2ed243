namespace WebUI.Engine.Studio;

/// <summary>
/// The studio's folders under one root (the repository, by default). Names that arrive from users are checked
/// here, once, so that no name can reach outside its folder.
/// </summary>
public sealed record StudioPaths(string Root)
{
    public string Models => Path.Combine(Root, "models");
    /// <summary>Runs exported for axolotl or LLaMA-Factory, one folder each.</summary>
    public string Jobs => Path.Combine(Root, "jobs");
    public string Loras => Path.Combine(Root, "loras");
    public string Datasets => Path.Combine(Root, "training", "datasets");
    public string Formats => Path.Combine(Root, "training", "formats");
    public string ChatLogs => Path.Combine(Root, "logs", "chat");
    public string Checkpoints => Path.Combine(Root, "training", "checkpoints");

    /// <summary>An existing file path as given, else the named file in training/datasets.</summary>
    public string Dataset(string nameOrPath) => ExistingOrInside(Datasets, nameOrPath, "dataset");

    /// <summary>An existing file path as given, else the named file in training/formats (".json" may be left off).</summary>
    public string Format(string nameOrPath) =>
        ExistingOrInside(Formats, File.Exists(Path.Combine(Formats, nameOrPath + ".json")) ? nameOrPath + ".json" : nameOrPath, "format file");

    private static string ExistingOrInside(string folder, string nameOrPath, string what)
    {
        if (File.Exists(nameOrPath)) return Path.GetFullPath(nameOrPath);
        var inside = Inside(folder, nameOrPath);
        return File.Exists(inside) ? inside : throw new FileNotFoundException($"{what} '{nameOrPath}' not found (looked for the path and in {folder})");
    }

    /// <summary>A path as watchers may see it: relative to the root (e.g. "loras/sue"), or only its file name when outside; null stays null.</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(path))]
    public string? Shown(string? path)
    {
        if (path is null) return null;
        var relative = Path.GetRelativePath(Root, Path.GetFullPath(path));
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? Path.GetFileName(path) : relative;
    }

    public static StudioPaths ForCurrentDirectory() => new(Path.GetFullPath(Environment.CurrentDirectory));

    /// <summary>The path of <paramref name="name"/> inside <paramref name="folder"/>; ArgumentException for names with separators, "..", or control characters.</summary>
    public static string Inside(string folder, string name)
    {
        if (!IsPlainName(name)) throw new ArgumentException($"'{name}' is not a valid name: use letters, digits, spaces, '.', '-' or '_' only, without path separators");
        return Path.Combine(folder, name);
    }

    public static bool IsPlainName(string name) =>
        !string.IsNullOrWhiteSpace(name) && name.Length <= 128 && name != "." && name != ".." && !name.StartsWith('.') &&
        name.All(c => char.IsLetterOrDigit(c) || c is ' ' or '.' or '-' or '_' or '+' or '(' or ')') && name.Trim() == name;

    public void EnsureFolders()
    {
        foreach (var dir in new[] { Models, Loras, Datasets, Formats, ChatLogs, Checkpoints }) Directory.CreateDirectory(dir);
        // Once, at start: staging left by a killed process. Never while listing, where a save may be writing its own.
        Loading.StagingNames.CleanStale(Models);
        Loading.StagingNames.CleanStale(Loras);
    }
}
