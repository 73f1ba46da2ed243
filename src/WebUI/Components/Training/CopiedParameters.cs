using System.Text.Json.Nodes;
using WebUI.Engine.Training;

namespace WebUI.Components.Training;

/// <summary>
/// "Copy parameters from": fills a <see cref="TrainingForm"/> from an earlier run's training_parameters.json (keys as
/// TrainingRecordFiles writes them). The output name is left alone, so the copy never targets the earlier run's folder.
/// </summary>
public static class CopiedParameters
{
    /// <summary>Applies what the file holds; returns notes on what could not be copied (a dataset no longer there).</summary>
    public static IReadOnlyList<string> Apply(JsonNode parameters, TrainingForm form, IReadOnlyList<string> datasets, IReadOnlyList<string> formats)
    {
        var notes = new List<string>();
        T Get<T>(string key, T fallback, JsonNode? node = null)
        {
            try { return (node ?? parameters)[key] is JsonValue v ? v.GetValue<T>() : fallback; }
            catch (Exception e) when (e is FormatException or InvalidOperationException) { return fallback; }
        }
        string? File(string key, IReadOnlyList<string> known, string what)
        {
            if (parameters[key]?["file"]?.GetValue<string>() is not { } file) return null;
            if (known.Contains(file)) return file;
            notes.Add($"the {what} '{file}' is not in training/ any more; choose one");
            return null;
        }

        form.Method = Get("method", "lora") == "full" ? TrainingMethod.Full : TrainingMethod.Lora;
        if (parameters["lora"] is JsonObject lora)
        {
            form.LoraRank = Get("rank", form.LoraRank, lora);
            form.LoraAlpha = Get("alpha", form.LoraAlpha, lora);
            form.LoraDropout = Get("dropout", form.LoraDropout, lora);
            form.UseRsLora = Get("use_rslora", false, lora);
            form.UseDora = Get("use_dora", false, lora);
            form.AllLinear = lora["target_modules"] is not JsonArray;
            form.TargetModules = lora["target_modules"] is JsonArray targets ? [.. targets.Select(t => t!.GetValue<string>())] : [];
        }
        form.LearningRate = Get("learning_rate", form.LearningRate);
        form.Scheduler = Enum.TryParse<SchedulerKind>(Get("scheduler", ""), ignoreCase: true, out var scheduler) ? scheduler : form.Scheduler;
        form.WarmupSteps = Get("warmup_steps", form.WarmupSteps);
        form.Epochs = Get("epochs", form.Epochs);
        form.MicroBatchSize = Get("micro_batch_size", form.MicroBatchSize);
        form.BatchSize = Get<int?>("batch_size", form.BatchSize);
        form.MaxGradNorm = Get("max_grad_norm", form.MaxGradNorm);
        form.WeightDecay = Get("weight_decay", form.WeightDecay);
        form.EvalEvery = Get("eval_every", form.EvalEvery);
        form.SaveEvery = Get("save_every", form.SaveEvery);
        form.StopAtLoss = parameters["stop_at_loss"] is JsonValue stop ? stop.GetValue<double>() : null;
        form.Keep = Enum.TryParse<KeptWeights>(Get("keep", ""), ignoreCase: true, out var keep) ? keep : KeptWeights.Best;
        form.Seed = Get("seed", form.Seed);
        form.GradientCheckpointing = Get("gradient_checkpointing", form.GradientCheckpointing);
        form.FreezeEmbeddings = Get("freeze_embeddings", form.FreezeEmbeddings);

        form.Dataset = File("dataset", datasets, "dataset") ?? form.Dataset;
        form.Format = File("format", formats, "format file");
        form.EvalDataset = File("eval_dataset", datasets, "evaluation dataset");
        form.ReferenceText = File("reference_text", datasets, "reference text");
        form.StartFromAdapter = parameters["start_from_adapter"]?["name"]?.GetValue<string>();
        form.EvalFraction = Get("eval_fraction", form.EvalFraction);
        form.Cutoff = Get("cutoff", form.Cutoff);
        form.Overlap = Get<int?>("overlap", form.Overlap);
        form.HardCut = TrainingForm.Escape(Get("hard_cut", TrainingForm.Unescape(form.HardCut)));
        form.AddEos = Get("add_eos", form.AddEos);
        form.TrainOnlyAfter = TrainingForm.Escape(Get("train_only_after", ""));
        form.ChatTemplateName = Get<string?>("chat_template", null) ?? form.ChatTemplateName;
        return notes;
    }
}
