using System.Globalization;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Cli;

/// <summary>Prefill and decode speed for a 128-token prompt and 128 greedy tokens (best of 3 after a warm-up), and peak RSS.</summary>
public static class BenchInference
{
    public const string Header = "| model | parameters | prefill tokens/s | time to first token | decode tokens/s | peak RSS |\n|---|---:|---:|---:|---:|---:|";
    private const int PromptTokens = 128, NewTokens = 128;

    public static async Task<int> Run(string name, Func<LoadedModel> load)
    {
        using var worker = new TorchWorker("bench");
        using var model = await worker.Run(load);
        using var adapterCache = new AdapterCache(CliAdapters.FolderOf, capacity: 1);
        await using var generator = new GenerationScheduler(worker, model, adapterCache, new SchedulerLimits());
        var random = new Random(1234);
        var prompt = Enumerable.Range(0, PromptTokens).Select(_ => random.Next(3, model.Config.VocabSize)).ToArray();
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = NewTokens, StopAtEos = false };
        await Generate(generator, prompt, options with { MaxNewTokens = 4 });  // warm-up: first-call allocations and kernel selection
        var stats = new List<GenerationStats>();
        for (int i = 0; i < 3; i++) stats.Add(await Generate(generator, prompt, options));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {model.Model.ParameterCount() / 1e6:F2} M | {stats.Max(s => s.PrefillTokensPerSecond):F0} | {stats.Min(s => s.TimeToFirstToken.TotalMilliseconds):F1} ms | {stats.Max(s => s.DecodeTokensPerSecond):F1} | {ProcessMemory.PeakRssMegabytes():F0} MB |"));
        return 0;
    }

    private static async Task<GenerationStats> Generate(GenerationScheduler generator, int[] prompt, GenerationOptions options)
    {
        GenerationStats? stats = null;
        await foreach (var chunk in generator.GenerateAsync(new GenerationRequest(prompt, options, []))) stats ??= chunk.Stats;
        return stats!;
    }
}
