namespace WebUI.Engine.Loading;

/// <summary>Writes that either complete or leave the previous file untouched: temp file beside it, then rename.</summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text) => Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, leaveOpen: true);
        writer.Write(text);
    });

    public static void Write(string path, Action<Stream> write)
    {
        var temp = $"{path}.tmp-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            StagingNames.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path)));
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
