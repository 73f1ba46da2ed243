using System.CommandLine;
using WebUI.Engine;
using WebUI.Engine.Loading;

namespace WebUI.Cli;

/// <summary>`convert --model PATH --output DIR`: any readable model written as a Hugging Face folder.</summary>
public static class ConvertCommand
{
    public static Command Create(SharedOptions shared)
    {
        var output = CliOptions.Required("--output", "Folder to write the Hugging Face model to");
        var command = new Command("convert", "Write any model the engine reads as a Hugging Face folder") { shared.Model, output };
        command.SetAction(parsed => RunAsync(parsed.GetRequiredValue(shared.Model), parsed.GetRequiredValue(output)));
        return command;
    }

    private static async Task<int> RunAsync(string modelPath, string output)
    {
        using var worker = new TorchWorker("convert");
        await worker.Run(() =>
        {
            using var model = ModelLoader.Load(modelPath, ComputeDevice.Cpu);
            HfModelWriter.Write(model, output);
        });
        Console.Error.WriteLine($"wrote {Path.GetFullPath(output)}");
        return 0;
    }
}
