using WebUI.Engine.Studio;

namespace WebUI.Services;

/// <summary>A dataset file as saved: the name it got, and the (cleaned) name it wanted, which differ when that one was taken.</summary>
public sealed record SavedDataset(string Name, string WantedName)
{
    public bool Renamed => Name != WantedName;
}

/// <summary>
/// Saves a file a user dropped or picked into training/datasets: a plain file name of a known type, at most
/// <see cref="MaxBytes"/>, written to a temporary file and then renamed, and never replacing a dataset already there.
/// Every refusal is an <see cref="ArgumentException"/> whose message the page shows as it is.
/// </summary>
public static class DatasetUploads
{
    public const long MaxBytes = 100L * 1024 * 1024;
    public static IReadOnlyList<string> Extensions { get; } = [".txt", ".json", ".jsonl"];
    public static string Accept => string.Join(",", Extensions);

    public static async Task<SavedDataset> SaveAsync(string folder, string uploadedName, long size, Stream content, CancellationToken cancellationToken)
    {
        var name = SafeName(uploadedName);
        if (size > MaxBytes) throw new ArgumentException($"'{uploadedName}' is {Megabytes(size)}; datasets can be at most {Megabytes(MaxBytes)}");
        if (size == 0) throw Empty(uploadedName);
        Directory.CreateDirectory(folder);
        // A dot-name with ".tmp-" is skipped by the dataset list, so a half-written upload is never offered.
        var temp = Path.Combine(folder, $".upload.tmp-{Guid.NewGuid():N}");
        try
        {
            await using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                if (await CopyCappedAsync(content, target, uploadedName, cancellationToken) == 0) throw Empty(uploadedName);
                await target.FlushAsync(cancellationToken);
            }
            var stem = Path.GetFileNameWithoutExtension(name);
            var extension = Path.GetExtension(name);
            for (int copy = 1; ; copy++)
            {
                var candidate = copy == 1 ? name : $"{stem} ({copy}){extension}";
                try
                {
                    // Without overwrite the move fails if the name exists, even if another upload took it a moment ago.
                    File.Move(temp, Path.Combine(folder, candidate), overwrite: false);
                    return new SavedDataset(candidate, name);
                }
                catch (IOException) when (File.Exists(Path.Combine(folder, candidate))) { }
            }
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>The name to save under: the uploaded file name with unsafe characters replaced by '_'; paths, ".." and other types refused.</summary>
    public static string SafeName(string uploadedName)
    {
        var trimmed = uploadedName.Trim();
        if (trimmed.Length == 0 || trimmed.Contains('/') || trimmed.Contains('\\') || trimmed.Contains(".."))
            throw new ArgumentException($"'{uploadedName}' is not a plain file name (no folders, no \"..\")");
        var extension = Path.GetExtension(trimmed).ToLowerInvariant();
        if (!Extensions.Contains(extension))
            throw new ArgumentException($"'{uploadedName}' is not a dataset file: only .txt (raw text), .json and .jsonl (rows or conversations) are accepted");
        var stem = new string([.. Path.GetFileNameWithoutExtension(trimmed).Select(c => IsSafe(c) ? c : '_')]).Trim().TrimStart('.');
        // Room for " (NN)" when the name is taken.
        var name = stem[..Math.Min(stem.Length, 100)].TrimEnd() + extension;
        if (stem.Length == 0 || !StudioPaths.IsPlainName(name)) throw new ArgumentException($"'{uploadedName}' has no usable file name");
        return name;
    }

    private static bool IsSafe(char c) => char.IsAsciiLetterOrDigit(c) || c is ' ' or '.' or '-' or '_' or '+' or '(' or ')';

    // The browser's stated size is only a claim; count what actually arrives.
    private static async Task<long> CopyCappedAsync(Stream source, Stream target, string uploadedName, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > MaxBytes) throw new ArgumentException($"'{uploadedName}' is larger than {Megabytes(MaxBytes)}, the most a dataset can be");
            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
        return total;
    }

    private static ArgumentException Empty(string uploadedName) => new($"'{uploadedName}' is empty (0 bytes): there is nothing to train on");

    private static string Megabytes(long bytes) => $"{bytes / 1048576.0:0.#} MB";
}
