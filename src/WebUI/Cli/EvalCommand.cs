using System.Text.Json;
using WebUI.Engine;
using WebUI.Engine.Loading;
using WebUI.Engine.Training;

namespace WebUI.Cli;

/// <summary>`eval --model PATH --text FILE [--lora NAMES] [--context N] [--stride N]`: perplexity as one JSON line.</summary>
public static class EvalCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var cl = new CommandLine(args, new HashSet<string>());
        var modelPath = cl.Required("model");
        var textPath = cl.Required("text");
        var loras = cl.String("lora");
        int context = cl.Number<int>("context") ?? 512;
        int stride = cl.Number<int>("stride") ?? context;
        cl.RejectUnknown();
        var text = File.ReadAllText(textPath);
        using var worker = new TorchWorker("eval");
        var result = await worker.Run(() =>
        {
            using var model = ModelLoader.Load(modelPath);
            using var adapters = CliAdapters.Activate(model, loras);
            return Perplexity.Compute(model, text, context, stride);
        });
        Console.WriteLine(JsonSerializer.Serialize(new { perplexity = result.Perplexity, loss = result.Loss, tokens = result.Tokens }));
        return 0;
    }
}
