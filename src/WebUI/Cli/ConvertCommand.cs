using System.CommandLine;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using static TorchSharp.torch;

namespace WebUI.Cli;

/// <summary>
/// `convert --model PATH --output DIR|FILE.gguf [--type f32|f16|q8_0] [--lora NAME[:WEIGHT],...]`: any readable model
/// written as a Hugging Face folder, or as GGUF when the output ends in .gguf, with adapters merged in if given.
/// </summary>
public static class ConvertCommand
{
    public static Command Create(SharedOptions shared)
    {
        var output = CliOptions.Required("--output", "Folder to write the Hugging Face model to, or a .gguf file");
        var type = CliOptions.Text("--type", "GGUF tensor type: f32, f16 or q8_0 (norms stay f32)", "f16");
        var command = new Command("convert", "Write any model the engine reads as a Hugging Face folder or a GGUF file") { shared.Model, output, type, shared.Lora };
        command.SetAction(parsed => RunAsync(parsed.GetRequiredValue(shared.Model), parsed.GetRequiredValue(output), parsed.GetValue(type)!, parsed.GetValue(shared.Lora)));
        return command;
    }

    private static async Task<int> RunAsync(string modelPath, string output, string typeName, string? lora)
    {
        var gguf = ModelSource.IsGguf(output);
        var type = typeName.ToLowerInvariant() switch
        {
            "f32" => GgmlType.F32,
            "f16" => GgmlType.F16,
            "q8_0" => GgmlType.Q8_0,
            _ => throw new UsageException($"--type must be f32, f16 or q8_0 (got '{typeName}')"),
        };
        using var worker = new TorchWorker("convert");
        await worker.Run(() =>
        {
            using var model = ModelLoader.Load(modelPath, ComputeDevice.Cpu);
            var adapters = CliAdapters.Parse(lora).Select(a => (LoraAdapter.Load(CliAdapters.FolderOf(a.Name), model.Model), a.Weight)).ToList();
            try
            {
                using var noGrad = no_grad();
                var transform = adapters.Count > 0 ? AdapterMerger.Transform(model, adapters) : null;
                if (gguf) GgufExport.WriteModel(model, output, type, transform);
                else HfModelWriter.Write(model, output, transform);
            }
            finally
            {
                foreach (var (adapter, _) in adapters) adapter.Dispose();
            }
        });
        Console.Error.WriteLine($"wrote {Path.GetFullPath(output)}");
        return 0;
    }
}
