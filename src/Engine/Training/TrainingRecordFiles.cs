using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Training;

/// <summary>
/// training_parameters.json (every option, the base model, the dataset files with their SHA-256) and
/// training_log.json (curves and final metrics) beside each output, so every version traces back to what made it.
/// </summary>
public static class TrainingRecordFiles
{
    public const string ParametersFileName = "training_parameters.json", LogFileName = "training_log.json";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(string folder, LoadedModel model, TrainingOptions options, BuiltDataset data, TrainingState state, long trainable, TimeSpan duration, int keptStep, Insight.ForgettingReport? forgetting)
    {
        var o = options;
        var d = o.Data;
        var parameters = new JsonObject
        {
            ["output_name"] = o.OutputName, ["method"] = o.Method.ToString().ToLowerInvariant(),
            ["base_model"] = model.Source.Name, ["base_model_path"] = model.Source.Path, ["architecture"] = model.Config.HfArchitecture,
            // A GGUF base is one file: its name and SHA-256 say exactly which quantization was trained on.
            ["base_model_file"] = model.Source.Format == ModelFormat.Gguf ? FileRecord(model.Source.WeightsPath) : null,
            // A base that is itself a merge (adapters baked in here) carries what it was made of.
            ["base_merged_from"] = Adapters.AdapterMerger.ReadRecord(model.Source.Path)?.DeepClone(),
            ["lora"] = o.Method == TrainingMethod.Lora ? new JsonObject
            {
                ["rank"] = o.Lora.Rank, ["alpha"] = o.Lora.Alpha, ["dropout"] = o.Lora.Dropout, ["use_rslora"] = o.Lora.UseRsLora, ["use_dora"] = o.Lora.UseDora,
                ["target_modules"] = o.Lora.TargetModules is null ? "all-linear" : new JsonArray([.. o.Lora.TargetModules.Select(t => (JsonNode)t)]),
            } : null,
            ["learning_rate"] = o.LearningRate, ["scheduler"] = o.Scheduler.ToString(), ["warmup_steps"] = o.WarmupSteps,
            ["epochs"] = o.Epochs, ["micro_batch_size"] = o.MicroBatchSize, ["batch_size"] = o.EffectiveBatchSize,
            ["gradient_accumulation"] = o.GradientAccumulation, ["max_grad_norm"] = o.MaxGradNorm, ["weight_decay"] = o.WeightDecay,
            ["eval_every"] = o.EvalEvery, ["save_every"] = o.SaveEvery, ["stop_at_loss"] = o.StopAtLoss, ["seed"] = o.Seed,
            ["gradient_checkpointing"] = o.GradientCheckpointing, ["freeze_embeddings"] = o.FreezeEmbeddings, ["keep"] = o.Keep.ToString().ToLowerInvariant(),
            ["dataset"] = FileRecord(d.DatasetPath), ["format"] = d.FormatPath is null ? null : FileRecord(d.FormatPath),
            ["eval_dataset"] = d.EvalDatasetPath is null ? null : FileRecord(d.EvalDatasetPath), ["eval_fraction"] = d.EvalFraction,
            ["dataset_kind"] = data.Kind.ToString(), ["cutoff"] = d.Cutoff, ["overlap"] = d.EffectiveOverlap, ["hard_cut"] = d.HardCut,
            ["start_from_adapter"] = o.StartFromAdapterPath is null ? null : new JsonObject
            {
                ["name"] = Path.GetFileName(Path.TrimEndingDirectorySeparator(o.StartFromAdapterPath)), ["path"] = o.StartFromAdapterPath,
                ["weights_sha256"] = FileRecord(Path.Combine(o.StartFromAdapterPath, "adapter_model.safetensors"))["sha256"]!.GetValue<string>(),
            },
            ["reference_text"] = o.ReferenceTextPath is null ? null : FileRecord(o.ReferenceTextPath), ["add_eos"] = d.AddEos, ["train_only_after"] = d.TrainOnlyAfter, ["chat_template"] = d.ChatTemplate?.Name,
        };
        var log = new JsonObject
        {
            ["steps"] = state.Step, ["train_loss"] = state.LastLoss, ["eval_loss"] = state.LastEval,
            ["duration_seconds"] = duration.TotalSeconds, ["train_seconds"] = state.TrainSeconds, ["tokens"] = state.Tokens,
            ["tokens_per_second"] = state.Tokens / Math.Max(state.TrainSeconds, 1e-9), ["peak_memory_mb"] = ProcessMemory.PeakRssMegabytes(),
            ["trainable_parameters"] = trainable, ["model_parameters"] = model.Model.ParameterCount(), ["train_examples"] = data.Train.Count, ["eval_examples"] = data.Eval.Count,
            ["train_curve"] = Curve(state.TrainLoss), ["eval_curve"] = Curve(state.EvalLoss),
            // The step whose weights are the output: the best evaluation's with Keep best, else the last.
            ["forgetting"] = forgetting is null ? null : new JsonObject
            {
                ["reference"] = forgetting.Reference, ["perplexity_before"] = forgetting.PerplexityBefore, ["perplexity_after"] = forgetting.PerplexityAfter,
            },
            ["kept_step"] = keptStep, ["kept_eval_loss"] = state.EvalLoss.LastOrDefault(p => p.Step == keptStep)?.Loss,
        };
        AtomicFile.WriteAllText(Path.Combine(folder, ParametersFileName), parameters.ToJsonString(Indented));
        AtomicFile.WriteAllText(Path.Combine(folder, LogFileName), log.ToJsonString(Indented));
    }

    /// <summary>A loss curve as training_log.json holds it (local runs and imported ones alike): step, loss, and tokens when known.</summary>
    internal static JsonArray Curve(IEnumerable<LossPoint> points) => new([.. points.Select(p =>
    {
        var point = new JsonObject { ["step"] = p.Step, ["loss"] = p.Loss };
        if (p.Tokens is { } tokens) point["tokens"] = tokens;
        return (JsonNode)point;
    })]);

    private static JsonObject FileRecord(string path)
    {
        using var stream = File.OpenRead(path);
        return new JsonObject { ["file"] = Path.GetFileName(path), ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(stream)) };
    }
}
