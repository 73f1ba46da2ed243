using System.Runtime.InteropServices;

namespace WebUI.Engine.Loading;

/// <summary>
/// Names of the in-progress and kept-aside entries that atomic writes leave beside their targets:
/// staging/partial (<c>.NAME.saving-*</c>, <c>NAME.tmp-*</c>) and backups (<c>NAME.backup-*</c>).
/// None of them is ever a model, adapter or checkpoint to offer.
/// </summary>
public static class StagingNames
{
    /// <summary>True for anything a listing must skip: dot-names, staging/partial and backups.</summary>
    public static bool IsHiddenFromListings(string path)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        return name.StartsWith('.') || IsStaging(name) || name.Contains(".backup-");
    }

    /// <summary>Half-written entries (a kill -9 midway leaves them); safe to delete. Backups are not staging.</summary>
    public static bool IsStaging(string path)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        return name.Contains(".tmp-") || name.Contains(".saving-");
    }

    /// <summary>Deletes stale staging/partial folders and files directly in <paramref name="folder"/>; backups are kept. Never throws.</summary>
    public static void CleanStale(string folder)
    {
        if (!Directory.Exists(folder)) return;
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(folder).Where(IsStaging).ToList())
            {
                try
                {
                    if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                    else File.Delete(entry);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Makes a rename inside <paramref name="directory"/> durable (fsync of the directory); a no-op off Unix or on failure.</summary>
    public static void SyncDirectory(string? directory)
    {
        if (string.IsNullOrEmpty(directory) || OperatingSystem.IsWindows()) return;
        try
        {
            int fd = open(directory, 0 /* O_RDONLY */);
            if (fd < 0) return;
            try { fsync(fd); } finally { close(fd); }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    [DllImport("libc", SetLastError = true)] private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int fsync(int fd);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
}
