using System.Globalization;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Cli;

/// <summary>`generate --model PATH --prompt TEXT [--lora NAME[:WEIGHT],...] ...`: the continuation on stdout, one stats line on stderr.</summary>
public static class GenerateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var cl = new CommandLine(args, new HashSet<string>());
        var modelPath = cl.Required("model");
        var prompt = cl.Required("prompt");
        var loras = cl.String("lora");
        var defaults = new GenerationOptions();
        var options = new GenerationOptions
        {
            MaxNewTokens = cl.Number<int>("max-new-tokens") ?? defaults.MaxNewTokens,
            Temperature = cl.Number<float>("temperature") ?? defaults.Temperature,
            TopP = cl.Number<float>("top-p") ?? defaults.TopP,
            TopK = cl.Number<int>("top-k") ?? defaults.TopK,
            MinP = cl.Number<float>("min-p") ?? defaults.MinP,
            RepetitionPenalty = cl.Number<float>("repetition-penalty") ?? defaults.RepetitionPenalty,
            Seed = cl.Number<long>("seed"),
        };
        cl.RejectUnknown();
        options.Validate();

        using var worker = new TorchWorker("generate");
        using var model = await worker.Run(() => ModelLoader.Load(modelPath));
        using var adapterCache = new AdapterCache(CliAdapters.FolderOf, capacity: 8);
        await using var scheduler = new GenerationScheduler(worker, model, adapterCache, new SchedulerLimits());
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        var stdout = Console.Out;
        GenerationStats? stats = null;
        var request = new GenerationRequest(model.Tokenizer.Encode(prompt), options, CliAdapters.Parse(loras));
        await foreach (var chunk in scheduler.GenerateAsync(request, cancel.Token))
        {
            stdout.Write(chunk.Text);
            stats ??= chunk.Stats;
        }
        stdout.Flush();
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"prompt_tokens={stats!.PromptTokens} generated_tokens={stats.GeneratedTokens} prefill_tokens_per_s={stats.PrefillTokensPerSecond:F1} decode_tokens_per_s={stats.DecodeTokensPerSecond:F1}"));
        return 0;
    }
}
