using WebUI.Engine;
using WebUI.Engine.Loading;

namespace WebUI.Cli;

/// <summary>`convert --model PATH --output DIR`: any readable model written as a Hugging Face folder.</summary>
public static class ConvertCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var cl = new CommandLine(args, new HashSet<string>());
        var modelPath = cl.Required("model");
        var output = cl.Required("output");
        cl.RejectUnknown();
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
