using WebUI.Engine.Loading;

namespace WebUI.Engine.Adapters;

/// <summary>
/// Writes a whole folder so that it appears complete or not at all: it is built beside its destination and renamed
/// into place, so a failure midway leaves whatever was there before exactly as it was.
/// </summary>
internal static class AtomicFolder
{
    /// <summary>
    /// Calls <paramref name="writeInto"/> with an empty staging folder, then moves that to <paramref name="folder"/>.
    /// An existing folder is an <see cref="IOException"/> unless <paramref name="overwrite"/>, in which case it is
    /// renamed to NAME.backup-yyyyMMdd-HHmmss first. Nothing else beside it is touched.
    /// </summary>
    public static void Write(string folder, bool overwrite, Action<string> writeInto)
    {
        folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (File.Exists(folder)) throw new IOException($"'{folder}' is a file, not a folder");
        bool replacing = Directory.Exists(folder);
        if (replacing && !overwrite) throw new IOException($"'{folder}' already exists; save with overwrite to replace it (the old one is kept as a backup)");

        var parent = Path.GetDirectoryName(folder)!;
        Directory.CreateDirectory(parent);
        // Hidden (leading dot) so listings of the parent, such as the app's adapter list, never show a half-written folder.
        var staging = Path.Combine(parent, $".{Path.GetFileName(folder)}.saving-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            writeInto(staging);
            StagingNames.SyncDirectory(staging);
            if (!replacing)
            {
                Directory.Move(staging, folder);
                StagingNames.SyncDirectory(parent);
                return;
            }
            var backup = BackupPathFor(folder);
            Directory.Move(folder, backup);
            try { Directory.Move(staging, folder); }
            catch
            {
                Directory.Move(backup, folder);
                throw;
            }
            StagingNames.SyncDirectory(parent);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>NAME.backup-yyyyMMdd-HHmmss, with -2, -3... when saved more than once in the same second.</summary>
    private static string BackupPathFor(string folder)
    {
        var stem = $"{folder}.backup-{DateTime.Now:yyyyMMdd-HHmmss}";
        var path = stem;
        for (int n = 2; Directory.Exists(path) || File.Exists(path); n++) path = $"{stem}-{n}";
        return path;
    }
}
