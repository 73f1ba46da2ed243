using System.Text.Json.Nodes;

namespace WebUI.Engine.Insight;

/// <summary>A run's default probe words: those its dataset uses most unlike the reference text.</summary>
public static class RunProbes
{
    /// <summary>From the dataset named in the run's training_parameters.json (looked up in <paramref name="datasets"/>); none without a reference or the dataset.</summary>
    public static IReadOnlyList<string> DefaultFor(string runFolder, string datasets, string? reference)
    {
        var parameters = Path.Combine(runFolder, Training.TrainingRecordFiles.ParametersFileName);
        if (reference is null || !File.Exists(parameters)) return [];
        var file = JsonNode.Parse(File.ReadAllText(parameters))?["dataset"]?["file"]?.GetValue<string>();
        if (file is null) return [];
        var dataset = Path.Combine(datasets, file);
        return File.Exists(dataset) ? ProbeWords.MostShifted(DatasetText(dataset), reference) : [];
    }

    // The words of a dataset: raw text as it is, JSON rows by their string values (not their keys).
    private static string DatasetText(string path)
    {
        var text = File.ReadAllText(path);
        if (path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)) return text;
        var lines = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? text.Split('\n') : [text];
        var words = new List<string>();
        foreach (var line in lines.Where(l => !string.IsNullOrWhiteSpace(l)))
            Collect(JsonNode.Parse(line), words);
        return string.Join(' ', words);
    }

    private static void Collect(JsonNode? node, List<string> into)
    {
        switch (node)
        {
            case JsonObject o: foreach (var (_, v) in o) Collect(v, into); break;
            case JsonArray a: foreach (var v in a) Collect(v, into); break;
            case JsonValue v when v.TryGetValue<string>(out var s): into.Add(s); break;
        }
    }
}
