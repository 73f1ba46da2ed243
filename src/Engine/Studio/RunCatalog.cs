using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using WebUI.Engine.Insight;
using WebUI.Engine.Loading;
using WebUI.Engine.Training;

namespace WebUI.Engine.Studio;

/// <summary>
/// One training run, as the Runs tab shows it: read from the training_parameters.json and training_log.json beside
/// an output in loras/ or models/ (finished or imported), or from the newest checkpoint of a run that was stopped.
/// Missing figures (an imported run has no settings, an older one no model size) are null.
/// </summary>
public sealed record RunEntry(
    string Name, string Method, string Status, string Folder, string? BaseModel, string? Dataset, string? DatasetSha256, DateTime Date,
    int Steps, double? TrainLoss, double? EvalLoss, double? TokensPerSecond, double? PeakMemoryMegabytes,
    long? TrainableParameters, long? ModelParameters, long SizeBytes, string? Lineage, ForgettingReport? Forgetting,
    IReadOnlyList<LossPoint> TrainCurve, IReadOnlyList<LossPoint> EvalCurve, IReadOnlyDictionary<string, string> Settings)
{
    /// <summary>Trainable parameters as a share of the model's, in percent.</summary>
    public double? TrainablePercent => TrainableParameters is { } t && ModelParameters is { } m && m > 0 ? 100.0 * t / m : null;
}

public static class RunCatalog
{
    private const string ParametersFile = TrainingRecordFiles.ParametersFileName, LogFile = TrainingRecordFiles.LogFileName;

    /// <summary>Every run, newest first.</summary>
    public static IReadOnlyList<RunEntry> List(StudioPaths paths)
    {
        var runs = new List<RunEntry>();
        foreach (var (root, method) in new[] { (paths.Loras, "lora"), (paths.Models, "full") })
            if (Directory.Exists(root))
                foreach (var folder in Directory.EnumerateDirectories(root).Where(d => !StagingNames.IsHiddenFromListings(d)))
                    if (File.Exists(Path.Combine(folder, LogFile)) && Read(folder, method) is { } run) runs.Add(run);
        if (Directory.Exists(paths.Checkpoints))
            foreach (var folder in Directory.EnumerateDirectories(paths.Checkpoints).Where(d => !StagingNames.IsHiddenFromListings(d)))
                if (!runs.Any(r => r.Name == Path.GetFileName(folder)) && Stopped(folder) is { } run) runs.Add(run);
        return [.. runs.OrderByDescending(r => r.Date)];
    }

    private static RunEntry? Read(string folder, string method)
    {
        var log = ReadJson(Path.Combine(folder, LogFile));
        if (log is null) return null;
        var parameters = ReadJson(Path.Combine(folder, ParametersFile));
        var dataset = parameters?["dataset"] as JsonObject;
        var forgetting = log["forgetting"] is JsonObject f
            ? new ForgettingReport(f["reference"]?.GetValue<string>() ?? "", Number(f["perplexity_before"]) ?? double.NaN, Number(f["perplexity_after"]) ?? double.NaN)
            : null;
        var lineage = string.Join("; ", new[]
        {
            parameters?["start_from_adapter"]?["name"]?.GetValue<string>() is { } parent ? $"continued from {parent}" : null,
            log["imported_from"]?["path"]?.GetValue<string>() is { } source ? $"imported from {source}" : null,
            parameters?["base_merged_from"] is JsonObject merged ? MergedBase(merged) : null,
        }.OfType<string>()) is { Length: > 0 } joined ? joined : null;
        return new RunEntry(Path.GetFileName(folder), parameters?["method"]?.GetValue<string>() ?? method,
            log["imported_from"] is null ? "finished" : "imported", folder, parameters?["base_model"]?.GetValue<string>(),
            dataset?["file"]?.GetValue<string>(), dataset?["sha256"]?.GetValue<string>(), File.GetLastWriteTime(Path.Combine(folder, LogFile)),
            (int)(Number(log["steps"]) ?? 0), Number(log["train_loss"]), Number(log["eval_loss"]), Number(log["tokens_per_second"]),
            Number(log["peak_memory_mb"]), (long?)Number(log["trainable_parameters"]), (long?)Number(log["model_parameters"]), SizeOf(folder),
            lineage, forgetting, Curve(log["train_curve"]), Curve(log["eval_curve"]), Flatten(parameters));
    }

    // A run stopped before its end: its newest checkpoint's state, resumable from the Training tab.
    private static RunEntry? Stopped(string folder)
    {
        if (TrainingCheckpoints.Newest(folder) is not { } checkpoint) return null;
        TrainingState state;
        try { state = TrainingCheckpoints.ReadState(checkpoint); }
        catch (Exception e) when (e is JsonException or IOException or InvalidModelException) { return null; }
        return new RunEntry(Path.GetFileName(folder), File.Exists(Path.Combine(checkpoint, "weights.safetensors")) ? "full" : "lora", "stopped", checkpoint,
            null, null, null, Directory.GetLastWriteTime(checkpoint), state.Step, state.TrainLoss.LastOrDefault()?.Loss, state.LastEval,
            state.Tokens / Math.Max(state.TrainSeconds, 1e-9), null, null, null, SizeOf(checkpoint), null, null, state.TrainLoss, state.EvalLoss,
            new Dictionary<string, string>());
    }

    private static JsonObject? ReadJson(string path)
    {
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject; }
        catch (Exception e) when (e is JsonException or IOException) { return null; }
    }

    private static double? Number(JsonNode? node) => node is JsonValue value && value.TryGetValue<double>(out var number) ? number : null;

    private static IReadOnlyList<LossPoint> Curve(JsonNode? curve) => curve is JsonArray points
        ? [.. points.OfType<JsonObject>().Select(p => new LossPoint((int)(Number(p["step"]) ?? 0), Number(p["loss"]) ?? double.NaN,
            Number(p["tokens"]) is double tokens ? (long)tokens : null))]
        : [];

    // The settings as "key" or "section.key" → text, to lay runs side by side.
    // "on stories260K + sue ×1 (merged)": a base that had adapters baked in before this run trained on it.
    private static string MergedBase(JsonObject merged) =>
        $"on {merged["base_model"]?.GetValue<string>()} + " + string.Join(" + ", (merged["adapters"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(a => $"{a["name"]?.GetValue<string>()} ×{(Number(a["weight"]) ?? 1).ToString("0.##", CultureInfo.InvariantCulture)}")) + " (merged)";

    private static Dictionary<string, string> Flatten(JsonObject? parameters)
    {
        var settings = new Dictionary<string, string>();
        void Add(string prefix, JsonObject json)
        {
            foreach (var (key, value) in json)
            {
                if (value is JsonObject inner) Add($"{prefix}{key}.", inner);
                else settings[prefix + key] = value switch
                {
                    null => "–",
                    JsonArray list => string.Join(", ", list.Select(v => v?.ToString())),
                    JsonValue v when v.TryGetValue<double>(out var d) => d.ToString("G6", CultureInfo.InvariantCulture),
                    _ => value.ToString(),
                };
            }
        }
        if (parameters is not null) Add("", parameters);
        return settings;
    }

    private static long SizeOf(string folder) => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
}
