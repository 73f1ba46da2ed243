using System.CommandLine;
using System.Text.Json;
using WebUI.Engine;
using WebUI.Engine.Loading;
using WebUI.Engine.Training;

namespace WebUI.Cli;

/// <summary>`eval --model PATH --text FILE [--lora NAMES] [--context N] [--stride N]`: perplexity as one JSON line.</summary>
public static class EvalCommand
{
    public static Command Create(SharedOptions shared)
    {
        var text = CliOptions.Required("--text", "Text file to measure");
        var context = CliOptions.Number("--context", "Tokens in each window", 512);
        var stride = CliOptions.OptionalNumber<int>("--stride", "Tokens each window moves on", "--context");
        var command = new Command("eval", "Perplexity of a text file in sliding windows, as one JSON line") { shared.Model, text, shared.Lora, context, stride };
        command.SetAction(parsed => RunAsync(parsed.GetRequiredValue(shared.Model), parsed.GetRequiredValue(text), parsed.GetValue(shared.Lora),
            parsed.GetValue(context), parsed.GetValue(stride) ?? parsed.GetValue(context)));
        return command;
    }

    private static async Task<int> RunAsync(string modelPath, string textPath, string? loras, int context, int stride)
    {
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
