using WebUI.Engine.Loading;

namespace WebUI.Engine.Studio;

/// <summary>What is on disk in models/: read from headers only, never by loading weights.</summary>
public static class ModelCatalog
{
    public static IReadOnlyList<ModelEntry> List(string modelsFolder)
    {
        if (!Directory.Exists(modelsFolder)) return [];
        // Folders, and .gguf files kept directly in models/.
        return [.. Directory.GetDirectories(modelsFolder).Concat(ModelSource.GgufFiles(modelsFolder))
            .Where(d => !StagingNames.IsHiddenFromListings(d)).Order(StringComparer.OrdinalIgnoreCase).Select(Describe)];
    }

    public static ModelEntry Describe(string folder)
    {
        var name = Path.GetFileName(folder);
        long size = File.Exists(folder) ? new FileInfo(folder).Length : Directory.EnumerateFiles(folder).Sum(f => new FileInfo(f).Length);
        try
        {
            var source = ModelSource.Detect(folder);
            if (source.Format == ModelFormat.Gguf)
            {
                using var gguf = GgufFile.Open(source.WeightsPath);
                var c = GgufModelFile.ReadConfig(gguf);
                return new ModelEntry(name, folder, $"GGUF {GgufModelFile.QuantizationName(gguf)}", c.HfArchitecture, gguf.TensorList.Sum(t => t.Count), size, null);
            }
            if (source.Format == ModelFormat.Llama2c)
            {
                var c = Llama2cCheckpoint.ReadConfig(source.WeightsPath);
                return new ModelEntry(name, folder, "llama2.c", c.HfArchitecture, (new FileInfo(source.WeightsPath).Length - 28) / 4, size, null);
            }
            var config = HfConfigReader.Read(Path.Combine(folder, "config.json"));
            using var weights = ShardedSafeTensors.OpenFolder(folder);
            long parameters = weights.Names.Sum(n => weights.Info(n).Shape.Aggregate(1L, (a, b) => a * b));
            return new ModelEntry(name, folder, "Hugging Face", config.HfArchitecture, parameters, size, null);
        }
        catch (Exception e) when (e is InvalidModelException or IOException or UnauthorizedAccessException)
        {
            return new ModelEntry(name, folder, "unknown", "", 0, size, e.Message);
        }
    }
}
