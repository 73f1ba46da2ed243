namespace WebUI.Engine.Loading;

/// <summary>Writes that either complete or leave the previous file untouched: temp file beside it, then rename.</summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text) => Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, leaveOpen: true);
        writer.Write(text);
    });

    /// <param name="keepBackup">An existing file is renamed to NAME.backup-yyyyMMdd-HHmmss instead of replaced.</param>
    public static void Write(string path, Action<Stream> write, bool keepBackup = false)
    {
        var temp = $"{path}.tmp-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            if (keepBackup && File.Exists(path)) File.Move(path, BackupPathFor(path));
            File.Move(temp, path, overwrite: true);
            StagingNames.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path)));
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>NAME.backup-yyyyMMdd-HHmmss, with -2, -3... when saved more than once in the same second.</summary>
    public static string BackupPathFor(string path)
    {
        var stem = $"{path}.backup-{DateTime.Now:yyyyMMdd-HHmmss}";
        var backup = stem;
        for (int n = 2; Directory.Exists(backup) || File.Exists(backup); n++) backup = $"{stem}-{n}";
        return backup;
    }
}
