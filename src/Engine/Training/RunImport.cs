using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;

namespace WebUI.Engine.Training;

/// <summary>What an import brought in: an adapter into loras/ or a model into models/, and its curve's length.</summary>
public sealed record ImportedRun(string Kind, string Name, string Destination, int TrainPoints, int EvalPoints);

/// <summary>
/// Brings back a run trained elsewhere (axolotl, LLaMA-Factory, any Hugging Face Trainer): its PEFT adapter into loras/
/// or its full model into models/, and the loss, eval loss and learning rate of trainer_state.json's log_history into
/// the run's own training_log.json, so it sits beside local runs with where it came from. Everything is checked
/// before anything is copied.
/// </summary>
public static class RunImport
{
    public const string TrainerStateFileName = "trainer_state.json";

    // Trainer state for resuming there, not here: optimizer moments, RNG states, pickled arguments.
    private static readonly string[] LeftBehind = ["optimizer.pt", "scheduler.pt", "scaler.pt", "training_args.bin"];

    public static ImportedRun Import(string source, StudioPaths paths, string? name = null, bool overwrite = false)
    {
        source = Path.TrimEndingDirectorySeparator(Path.GetFullPath(source));
        if (!Directory.Exists(source)) throw new DirectoryNotFoundException($"{source}: no such folder");
        var artifact = FindArtifact(source);
        name ??= Path.GetFileName(source);
        bool adapter = File.Exists(Path.Combine(artifact, PeftFormat.ConfigFileName));
        var destination = StudioPaths.Inside(adapter ? paths.Loras : paths.Models, name);
        Check(artifact, adapter);
        var log = ReadLog(StatePath(source, artifact));
        log["imported_from"] = new JsonObject { ["path"] = source, ["folder"] = Path.GetRelativePath(source, artifact) };

        AtomicFolder.Write(destination, AtomicFolder.OnExisting(overwrite), staging =>
        {
            foreach (var file in Directory.EnumerateFiles(artifact).Where(Wanted))
                File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
            File.WriteAllText(Path.Combine(staging, TrainingRecordFiles.LogFileName), log.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        });
        return new ImportedRun(adapter ? "adapter" : "model", name, destination, ((JsonArray)log["train_curve"]!).Count, ((JsonArray)log["eval_curve"]!).Count);
    }

    /// <summary>The folder holding the adapter or model: the run's own, else its newest checkpoint-N.</summary>
    private static string FindArtifact(string source)
    {
        var candidates = new[] { source }.Concat(Checkpoints(source));
        return candidates.FirstOrDefault(HoldsAdapterOrModel) ?? throw new InvalidModelException(
            $"{source}: no adapter (adapter_config.json with adapter_model.safetensors) or model (config.json with *.safetensors), here or in a checkpoint-N folder");
    }

    private static IEnumerable<string> Checkpoints(string source) => Directory.EnumerateDirectories(source, "checkpoint-*")
        .Select(d => (Dir: d, Step: int.TryParse(Path.GetFileName(d)["checkpoint-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int s) ? s : -1))
        .Where(c => c.Step >= 0).OrderByDescending(c => c.Step).Select(c => c.Dir);

    private static bool HoldsAdapterOrModel(string folder) =>
        File.Exists(Path.Combine(folder, PeftFormat.ConfigFileName)) && File.Exists(Path.Combine(folder, PeftFormat.WeightsFileName)) ||
        File.Exists(Path.Combine(folder, "config.json")) && Directory.EnumerateFiles(folder, "*.safetensors").Any();

    // The same readers that loading uses, so what is imported will load: the config, and every safetensors header.
    private static void Check(string artifact, bool adapter)
    {
        if (adapter) PeftFormat.ReadConfig(Path.Combine(artifact, PeftFormat.ConfigFileName));
        else HfConfigReader.Read(Path.Combine(artifact, "config.json"));
        foreach (var weights in Directory.EnumerateFiles(artifact, "*.safetensors"))
            using (SafeTensorsFile.Open(weights)) { }
    }

    private static string? StatePath(string source, string artifact) =>
        new[] { source, artifact }.Concat(Checkpoints(source)).Select(d => Path.Combine(d, TrainerStateFileName)).FirstOrDefault(File.Exists);

    private static bool Wanted(string file)
    {
        var name = Path.GetFileName(file);
        return !LeftBehind.Contains(name) && !name.StartsWith("rng_state", StringComparison.Ordinal) && name != TrainerStateFileName;
    }

    /// <summary>
    /// training_log.json from log_history: the train curve (loss), the eval curve (eval_loss), the learning rates, and the
    /// tokens seen where the trainer counted them (num_input_tokens_seen), in the curve format local runs write.
    /// </summary>
    private static JsonObject ReadLog(string? statePath)
    {
        var train = new List<LossPoint>();
        var eval = new List<LossPoint>();
        var rates = new JsonArray();
        if (statePath is null) return Log(train, eval, rates, null);
        JsonArray history;
        try
        {
            history = JsonNode.Parse(File.ReadAllText(statePath))?["log_history"] as JsonArray
                ?? throw new InvalidModelException($"{statePath}: no log_history array");
        }
        catch (JsonException e) { throw new InvalidModelException($"{statePath}: malformed JSON ({e.Message}); nothing was imported", e); }
        try
        {
            foreach (var entry in history.OfType<JsonObject>())
            {
                if (entry["step"]?.GetValue<double>() is not { } step) continue;
                long? tokens = entry["num_input_tokens_seen"]?.GetValue<double>() is { } seen ? (long)seen : null;
                if (entry["loss"]?.GetValue<double>() is { } loss) train.Add(new LossPoint((int)step, loss, tokens));
                if (entry["eval_loss"]?.GetValue<double>() is { } evalLoss) eval.Add(new LossPoint((int)step, evalLoss, tokens));
                if (entry["learning_rate"]?.GetValue<double>() is { } rate) rates.Add(new JsonObject { ["step"] = (long)step, ["learning_rate"] = rate });
            }
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidModelException($"{statePath}: a log_history entry has a non-number step, loss, eval_loss, num_input_tokens_seen or learning_rate ({e.Message})", e);
        }
        return Log(train, eval, rates, statePath);
    }

    private static JsonObject Log(List<LossPoint> train, List<LossPoint> eval, JsonArray rates, string? statePath) => new()
    {
        ["steps"] = train.Concat(eval).Select(p => p.Step).DefaultIfEmpty(0).Max(),
        ["train_loss"] = train.LastOrDefault()?.Loss,
        ["eval_loss"] = eval.LastOrDefault()?.Loss,
        ["train_curve"] = TrainingRecordFiles.Curve(train), ["eval_curve"] = TrainingRecordFiles.Curve(eval), ["learning_rates"] = rates,
        ["trainer_state"] = statePath is null ? null : Path.GetFileName(statePath),
    };
}
