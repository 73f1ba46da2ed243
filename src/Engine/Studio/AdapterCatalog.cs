using System.Text.Json.Nodes;

namespace WebUI.Engine.Studio;

/// <summary>What is on disk in loras/: read from adapter_config.json only.</summary>
public static class AdapterCatalog
{
    public static IReadOnlyList<AdapterEntry> List(string lorasFolder)
    {
        if (!Directory.Exists(lorasFolder)) return [];
        return [.. Directory.GetDirectories(lorasFolder)
            .Where(d => !Path.GetFileName(d).Contains(".backup-") && !Path.GetFileName(d).Contains(".tmp-"))
            .Order(StringComparer.OrdinalIgnoreCase).Select(Describe)];
    }

    private static AdapterEntry Describe(string folder)
    {
        var name = Path.GetFileName(folder);
        var files = Directory.EnumerateFiles(folder).ToList();
        long size = files.Sum(f => new FileInfo(f).Length);
        var modified = files.Count > 0 ? files.Max(File.GetLastWriteTime) : Directory.GetLastWriteTime(folder);
        try
        {
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "adapter_config.json")))!;
            var targets = config["target_modules"] switch
            {
                JsonArray a => a.Select(t => t!.GetValue<string>()).ToList(),
                JsonValue v => [v.GetValue<string>()],
                _ => new List<string>(),
            };
            return new AdapterEntry(name, config["base_model_name_or_path"]?.GetValue<string>(), config["r"]?.GetValue<int>() ?? 0,
                config["lora_alpha"]?.GetValue<double>() ?? 0, targets, size, modified, null);
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException or NullReferenceException)
        {
            return new AdapterEntry(name, null, 0, 0, [], size, modified, $"not a readable adapter: {e.Message}");
        }
    }
}
