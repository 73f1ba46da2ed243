using System.CommandLine;
using System.Text.Json;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Insight;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;

namespace WebUI.Cli;

/// <summary>
/// `inspect --model BASE (--lora NAME | --tuned PATH) [--probe w1,w2] [--prompt TEXT] [--reference FILE]`: what a
/// fine-tune changed inside the model, as one JSON object on stdout (the figures of the Runs tab's Changes view).
/// </summary>
public static class InspectCommand
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static Command Create(SharedOptions shared)
    {
        var lora = CliOptions.OptionalText("--lora", "The adapter to inspect: a folder in loras/ or a path", "one of --lora and --tuned is required");
        var tuned = CliOptions.OptionalText("--tuned", "A fully fine-tuned model folder to compare with --model", "one of --lora and --tuned is required");
        var probes = CliOptions.OptionalText("--probe", "Probe words or texts, comma-separated", "the words the run's dataset uses most unlike --reference");
        var prompt = CliOptions.Text("--prompt", "Prompt for the next-token shift", InspectionOptions.DefaultPrompt);
        var reference = CliOptions.OptionalText("--reference", "Reference text file for the forgetting measure (perplexity before and after)", "none");
        var command = new Command("inspect", "What a fine-tune changed inside the model, as one JSON object") { shared.Model, lora, tuned, probes, prompt, reference };
        command.SetAction(parsed => RunAsync(parsed.GetRequiredValue(shared.Model), parsed.GetValue(lora), parsed.GetValue(tuned),
            parsed.GetValue(probes), parsed.GetRequiredValue(prompt), parsed.GetValue(reference)));
        return command;
    }

    private static async Task<int> RunAsync(string modelPath, string? lora, string? tuned, string? probeList, string prompt, string? referencePath)
    {
        if ((lora is null) == (tuned is null)) throw new UsageException("give exactly one of --lora NAME and --tuned PATH");
        var tunedFolder = lora is not null ? CliAdapters.FolderOf(lora) : tuned!;
        if (!Directory.Exists(tunedFolder)) throw new UsageException($"{(lora is not null ? "adapter" : "tuned model")} '{lora ?? tuned}' not found");
        var reference = referencePath is null ? null : File.ReadAllText(referencePath);
        var probes = probeList is not null
            ? [.. probeList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)]
            : RunProbes.DefaultFor(tunedFolder, StudioPaths.ForCurrentDirectory().Datasets, reference);
        var options = new InspectionOptions(probes, prompt, referencePath is null ? null : Path.GetFileName(referencePath), reference).Validate();
        using var worker = new TorchWorker("inspect");
        var report = await worker.Run(() =>
        {
            using var model = ModelLoader.Load(modelPath);
            if (lora is not null)
            {
                using var adapter = LoraAdapter.Load(tunedFolder, model.Model);
                return ModelInspection.OfAdapter(model, adapter, options);
            }
            using var other = ModelLoader.Load(tunedFolder);
            return ModelInspection.OfTuned(model, other, options);
        });
        Console.WriteLine(JsonSerializer.Serialize(report, Json));
        return 0;
    }
}
