using System.CommandLine;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;

namespace WebUI.Cli;

/// <summary>`export-adapter --model BASE --lora NAME --output PATH.gguf [--base-gguf FILE]`: a PEFT adapter as llama.cpp's GGUF LoRA.</summary>
public static class ExportAdapterCommand
{
    public static Command Create(SharedOptions shared)
    {
        var lora = CliOptions.Required("--lora", "The adapter: a folder in loras/ or a path");
        var output = CliOptions.Required("--output", "The .gguf file to write (an old one is kept as a backup); NAME.Modelfile goes beside it");
        var baseGguf = CliOptions.OptionalText("--base-gguf", "The base model's GGUF for the Modelfile's FROM", "the --model path when it is a .gguf, else its name");
        var command = new Command("export-adapter", "Write a LoRA adapter as a GGUF LoRA that llama.cpp and Ollama apply") { shared.Model, lora, output, baseGguf };
        command.SetAction(parsed => RunAsync(parsed.GetRequiredValue(shared.Model), parsed.GetRequiredValue(lora), parsed.GetRequiredValue(output), parsed.GetValue(baseGguf)));
        return command;
    }

    private static async Task<int> RunAsync(string modelPath, string lora, string output, string? baseGguf)
    {
        if (!ModelSource.IsGguf(output)) throw new UsageException($"--output must end in .gguf (got '{output}')");
        using var worker = new TorchWorker("export-adapter");
        var written = await worker.Run(() =>
        {
            using var model = ModelLoader.Load(modelPath, ComputeDevice.Cpu);
            using var adapter = LoraAdapter.Load(CliAdapters.FolderOf(lora), model.Model);
            var from = baseGguf ?? (model.Source.Format == ModelFormat.Gguf ? model.Source.WeightsPath : null);
            return GgufExport.WriteAdapter(model, adapter, output, from);
        });
        Console.Error.WriteLine($"wrote {written} and {GgufExport.ModelfilePath(written)}");
        return 0;
    }
}
