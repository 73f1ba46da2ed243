namespace WebUI.Engine.Loading;

public enum ModelFormat { HuggingFace, Llama2c, Gguf }

/// <summary>Where a model was found and in which layout; <see cref="TokenizerPath"/> is set for llama2.c, <see cref="WeightsPath"/> is the .gguf for GGUF.</summary>
public sealed record ModelSource(string Path, ModelFormat Format, string WeightsPath, string? TokenizerPath)
{
    public string Name => System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(Path));

    /// <summary>Detects the format of a folder, a .gguf file or a llama2.c .bin file; the error lists what was looked for.</summary>
    public static ModelSource Detect(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (File.Exists(full) && full.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
            return Llama2c(full, System.IO.Path.GetDirectoryName(full)!, full);
        if (File.Exists(full) && IsGguf(full)) return new ModelSource(full, ModelFormat.Gguf, full, null);
        if (!Directory.Exists(full)) throw new InvalidModelException($"{path}: no such model folder or file");
        if (File.Exists(System.IO.Path.Combine(full, "config.json")))
            return new ModelSource(full, ModelFormat.HuggingFace, full, null);
        var ggufs = GgufFiles(full);
        if (ggufs.Count == 1) return new ModelSource(full, ModelFormat.Gguf, ggufs[0], null);
        if (ggufs.Count > 1)
            throw new InvalidModelException($"{path}: holds {ggufs.Count} GGUF files ({string.Join(", ", ggufs.Select(System.IO.Path.GetFileName))}); pick one");
        var bins = Directory.GetFiles(full, "*.bin").Where(f => !IsTokenizerFile(f)).OrderByDescending(f => new FileInfo(f).Length).ToList();
        if (bins.Count > 0) return Llama2c(full, full, bins[0]);
        throw new InvalidModelException(
            $"{path}: no model found (looked for config.json with *.safetensors, a .gguf file, or a llama2.c checkpoint .bin with tokenizer.bin / tok*.bin)");
    }

    public static bool IsGguf(string file) => file.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    /// <summary>The .gguf files directly in a folder (not backups or half-written ones), by name.</summary>
    public static List<string> GgufFiles(string folder) =>
        [.. Directory.GetFiles(folder, "*.gguf").Where(f => !StagingNames.IsHiddenFromListings(f)).Order(StringComparer.Ordinal)];

    private static bool IsTokenizerFile(string file)
    {
        var name = System.IO.Path.GetFileName(file);
        return name.Equals("tokenizer.bin", StringComparison.OrdinalIgnoreCase) || name.StartsWith("tok", StringComparison.OrdinalIgnoreCase);
    }

    private static ModelSource Llama2c(string path, string folder, string weights)
    {
        var tokenizer = Directory.GetFiles(folder, "*.bin").Where(IsTokenizerFile).OrderBy(f => f).FirstOrDefault()
            ?? throw new InvalidModelException($"{weights}: llama2.c checkpoint without a tokenizer (looked for tokenizer.bin or tok*.bin beside it)");
        return new ModelSource(path, ModelFormat.Llama2c, weights, tokenizer);
    }
}
