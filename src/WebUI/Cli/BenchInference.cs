using System.Globalization;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Cli;

/// <summary>
/// Prefill and decode speed for a 128-token prompt and 128 greedy tokens (best of 3 after a warm-up), decode speed
/// again with a CPU-bound process beside it (a user's browser or build), and peak RSS.
/// </summary>
public static class BenchInference
{
    public const string Header = "| model | parameters | prefill tokens/s | time to first token | decode tokens/s | decode, a core busy | peak RSS |\n|---|---:|---:|---:|---:|---:|---:|";
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
        var loaded = new List<GenerationStats>();
        using (BusyProcess.Start())
        {
            await Task.Delay(1000); // as a user's other work would be: running before the reply starts
            for (int i = 0; i < 3; i++) loaded.Add(await Generate(generator, prompt, options));
        }
        double idle = stats.Max(s => s.DecodeTokensPerSecond), busy = loaded.Max(s => s.DecodeTokensPerSecond);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {model.Model.ParameterCount() / 1e6:F2} M | {stats.Max(s => s.PrefillTokensPerSecond):F0} | {stats.Min(s => s.TimeToFirstToken.TotalMilliseconds):F1} ms | {idle:F1} | {busy:F1} ({busy / idle:F2}x) | {ProcessMemory.PeakRssMegabytes():F0} MB |"));
        return 0;
    }

    internal static async Task<GenerationStats> Generate(GenerationScheduler generator, int[] prompt, GenerationOptions options)
    {
        GenerationStats? stats = null;
        await foreach (var chunk in generator.GenerateAsync(new GenerationRequest(prompt, options, []))) stats ??= chunk.Stats;
        return stats!;
    }
}

/// <summary>A shell loop that keeps one core busy until disposed.</summary>
public sealed class BusyProcess : IDisposable
{
    private readonly System.Diagnostics.Process process;

    private BusyProcess(System.Diagnostics.Process process) => this.process = process;

    public static BusyProcess Start() => new(System.Diagnostics.Process.Start("sh", ["-c", "while :; do :; done"]));

    public void Dispose()
    {
        process.Kill();
        process.WaitForExit();
        process.Dispose();
    }
}
