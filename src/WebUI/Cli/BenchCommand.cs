using System.Globalization;
using WebUI.Engine;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;

namespace WebUI.Cli;

/// <summary>
/// `bench`: prefill and decode speed, time to first token for a 128-token prompt, and peak RSS, for stories260K and
/// for a random-weight model of SmolLM2-135M's exact shape. Prints a Markdown table for README.
/// </summary>
public static class BenchCommand
{
    private const int PromptTokens = 128;

    public static async Task<int> RunAsync(string[] args)
    {
        var cl = new CommandLine(args, new HashSet<string>());
        var stories = cl.String("stories") ?? SharedPath("stories260K");
        var tokenizerDir = cl.String("tokenizer") ?? SharedPath("smollm2-135m-instruct-tokenizer");
        int newTokens = cl.Number<int>("new-tokens") ?? 128;
        cl.RejectUnknown();

        using var worker = new TorchWorker("bench");
        var device = ComputeDevice.Detect();
        Console.WriteLine($"device: {device}, threads: {TorchSharp.torch.get_num_threads()}, cores: {Environment.ProcessorCount}");
        Console.WriteLine();
        Console.WriteLine("| model | parameters | prefill tokens/s | time to first token | decode tokens/s | peak RSS |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        await Measure(worker, "stories260K", () => ModelLoader.Load(stories, device), newTokens);
        await Measure(worker, "SmolLM2-135M shape, random weights", () =>
        {
            var tokenizer = TokenizerLoader.FromFolder(tokenizerDir);
            return RandomModel.Create(SmolLm2Shape, tokenizer, new ModelSource(tokenizerDir, ModelFormat.HuggingFace, tokenizerDir, null), device);
        }, newTokens);
        return 0;
    }

    public static ModelConfig SmolLm2Shape { get; } = new()
    {
        Family = ModelFamily.Llama, VocabSize = 49152, HiddenSize = 576, IntermediateSize = 1536, NumLayers = 30,
        NumHeads = 9, NumKvHeads = 3, MaxPositions = 2048, NormEps = 1e-5, RopeTheta = 100000, TieWordEmbeddings = true,
    };

    private static async Task Measure(TorchWorker worker, string name, Func<LoadedModel> load, int newTokens)
    {
        ProcessMemory.ResetPeak();
        using var model = await worker.Run(load);
        var generator = new TextGenerator(worker, model);
        var random = new Random(1234);
        var prompt = Enumerable.Range(0, PromptTokens).Select(_ => random.Next(3, model.Config.VocabSize)).ToArray();
        var options = new GenerationOptions { Temperature = 0, MaxNewTokens = newTokens, StopAtEos = false };
        await Run(generator, prompt, options with { MaxNewTokens = 4 });  // warm-up: first-call allocations and kernel selection
        var stats = new List<GenerationStats>();
        for (int i = 0; i < 3; i++) stats.Add(await Run(generator, prompt, options));
        var best = stats.MaxBy(s => s.DecodeTokensPerSecond)!;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {model.Model.ParameterCount() / 1e6:F2} M | {stats.Max(s => s.PrefillTokensPerSecond):F0} | {stats.Min(s => s.TimeToFirstToken.TotalMilliseconds):F1} ms | {best.DecodeTokensPerSecond:F1} | {ProcessMemory.PeakRssMegabytes():F0} MB |"));
    }

    private static async Task<GenerationStats> Run(TextGenerator generator, int[] prompt, GenerationOptions options)
    {
        GenerationStats? stats = null;
        await foreach (var chunk in generator.GenerateAsync(prompt, options)) stats ??= chunk.Stats;
        return stats!;
    }

    /// <summary>../shared/models/NAME found by walking up from the working directory.</summary>
    private static string SharedPath(string name)
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "models", name);
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new UsageException($"shared/models/{name} not found above {Environment.CurrentDirectory}; pass its path");
    }
}
