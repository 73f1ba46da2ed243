using WebUI.Engine.Loading;
using WebUI.Engine.Studio;

namespace WebUI.Engine.Training;

/// <summary>
/// A run checked and ready: output name free (or overwrite/resume asked for), dataset built and within the model's
/// context. Everything that can be rejected is rejected here, before any training time is spent.
/// </summary>
public sealed record TrainingRun(BuiltDataset Data, Trainer Trainer, TrainingPaths Paths)
{
    public static TrainingRun Prepare(LoadedModel model, TrainingOptions options, StudioPaths paths)
    {
        options = WithParentShape(options.Validate(), model);
        var output = StudioPaths.Inside(options.Method == TrainingMethod.Lora ? paths.Loras : paths.Models, options.OutputName);
        var checkpoints = StudioPaths.Inside(paths.Checkpoints, options.OutputName);
        if (options.Resume && TrainingCheckpoints.Newest(checkpoints) is null)
            throw new InvalidOperationException($"nothing to resume for '{options.OutputName}': no checkpoint in {checkpoints}");
        if (!options.Resume && !options.Overwrite)
        {
            if (Directory.Exists(output))
                throw new IOException($"{output} already exists; choose another name, or overwrite it (the old one is kept as a backup)");
            if (TrainingCheckpoints.Newest(checkpoints) is not null)
                throw new IOException($"an interrupted run named '{options.OutputName}' has checkpoints in {checkpoints}; resume it, overwrite it, or choose another name");
        }
        if (options.Data.Cutoff > model.Config.MaxPositions)
            throw new ArgumentException($"cutoff {options.Data.Cutoff} exceeds the model's context of {model.Config.MaxPositions} tokens");
        var data = DatasetBuilder.Build(options.Data, model.Tokenizer);
        var reference = options.ReferenceTextPath is { } referencePath ? ReadReference(referencePath, model) : null;
        if (options.Overwrite && Directory.Exists(checkpoints))
            Directory.Move(checkpoints, $"{checkpoints}.backup-{DateTime.Now:yyyyMMdd-HHmmss}");
        var runPaths = new TrainingPaths(output, checkpoints);
        return new TrainingRun(data, new Trainer(model, options, data, runPaths, reference), runPaths);
    }

    // A LoRA continuing an adapter has that adapter's rank, alpha, targets (as its weights say) and scaling, whatever
    // the form said; loading it here also checks that it fits the model before anything starts.
    private static TrainingOptions WithParentShape(TrainingOptions options, LoadedModel model)
    {
        if (options.StartFromAdapterPath is not { } parent) return options;
        if (!Directory.Exists(parent)) throw new DirectoryNotFoundException($"adapter to start from not found: {parent}");
        using var adapter = Adapters.LoraAdapter.Load(parent, model.Model);
        var shape = adapter.Config;
        return options with
        {
            Lora = options.Lora with { Rank = shape.Rank, Alpha = shape.Alpha, TargetModules = shape.TargetModules, UseRsLora = shape.UseRsLora, UseDora = shape.UseDora },
        };
    }

    private static string ReadReference(string path, LoadedModel model)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"reference text {path} not found", path);
        var text = File.ReadAllText(path);
        if (model.Tokenizer.Encode(text).Count < 2) throw new ArgumentException($"reference text {path} has fewer than two tokens: nothing to measure forgetting on");
        return text;
    }
}
