using System.CommandLine;
using System.Diagnostics;
using WebUI.Engine;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;

namespace WebUI.Cli;

/// <summary>
/// `bench`: inference speed and memory, then LoRA against full fine-tuning, for stories260K and for a random-weight
/// model of SmolLM2-135M's exact shape, then GGUF loading and decoding against llama.cpp. Each case runs in a child process so that every peak RSS is its own.
/// Prints Markdown tables for README. `bench --case NAME` runs one case.
/// Serving figures come from the HTTP API of the app itself, started on a loopback port.
/// </summary>
public static class BenchCommand
{
    private static readonly string[] InferenceCases = ["inference-stories", "inference-135m", "inference-135m-int8"];
    private static readonly string[] TrainingCases = ["lora-stories", "full-stories", "lora-135m", "full-135m"];
    private static readonly string[] ServingCases = ["serving-stories", "serving-135m", "serving-135m-int8"];
    private static readonly string[] GgufCases = ["gguf-prepare", .. BenchGguf.LoadCases, "gguf-decode"];
    private static IEnumerable<string> AllCases => InferenceCases.Concat(TrainingCases).Concat(ServingCases).Concat(GgufCases);

    public static Command Create()
    {
        var only = CliOptions.OptionalText("--case", $"Run one case: {string.Join(", ", AllCases)}",
            "all, each in a child process");
        var stories = CliOptions.OptionalText("--stories", "The stories260K model folder", "shared/models/stories260K above the working directory");
        var tokenizer = CliOptions.OptionalText("--tokenizer", "The SmolLM2-135M tokenizer folder",
            "shared/models/smollm2-135m-instruct-tokenizer above the working directory");
        var command = new Command("bench", "Speed and memory figures as Markdown tables: inference, LoRA against full fine-tuning, serving, GGUF")
        {
            only, stories, tokenizer,
        };
        command.SetAction(parsed => RunAsync(parsed.GetValue(only),
            new BenchModels(parsed.GetValue(stories) ?? SharedPath("stories260K"), parsed.GetValue(tokenizer) ?? SharedPath("smollm2-135m-instruct-tokenizer"))));
        return command;
    }

    private static async Task<int> RunAsync(string? only, BenchModels bench)
    {
        if (only is not null) return await RunCase(only, bench);

        Console.WriteLine($"device: {ComputeDevice.Detect()}, threads: {TorchSharp.torch.get_num_threads()}, cores: {Environment.ProcessorCount}");
        Console.WriteLine();
        Console.WriteLine(BenchInference.Header);
        foreach (var name in InferenceCases) await Child(name, bench);
        Console.WriteLine();
        Console.WriteLine(BenchTraining.Header);
        foreach (var name in TrainingCases) await Child(name, bench);
        Console.WriteLine();
        Console.WriteLine(BenchServing.Header);
        foreach (var name in ServingCases) await Child(name, bench);
        Console.WriteLine();
        await Child("gguf-prepare", bench);
        Console.WriteLine(BenchGguf.LoadHeader);
        foreach (var name in BenchGguf.LoadCases) await Child(name, bench);
        Console.WriteLine();
        Console.WriteLine(BenchGguf.DecodeHeader);
        await Child("gguf-decode", bench);
        BenchGguf.Clean();
        return 0;
    }

    private static Task<int> RunCase(string name, BenchModels bench) => name switch
    {
        "inference-stories" => BenchInference.Run("stories260K", bench.Stories),
        "inference-135m" => BenchInference.Run("SmolLM2-135M shape, random", bench.Random135M),
        "inference-135m-int8" => BenchInference.Run("SmolLM2-135M shape, random, int8 decode", () => WithInt8(bench.Random135M())),
        "lora-stories" => BenchTraining.Run("stories260K", bench, bench.Stories, Engine.Training.TrainingMethod.Lora, steps: 0),
        "full-stories" => BenchTraining.Run("stories260K", bench, bench.Stories, Engine.Training.TrainingMethod.Full, steps: 0),
        "lora-135m" => BenchTraining.Run("SmolLM2-135M shape, random", bench, bench.Random135M, Engine.Training.TrainingMethod.Lora, steps: 4),
        "full-135m" => BenchTraining.Run("SmolLM2-135M shape, random", bench, bench.Random135M, Engine.Training.TrainingMethod.Full, steps: 4),
        "serving-stories" => BenchServing.Run("stories260K", bench.Stories),
        "serving-135m" => BenchServing.Run("SmolLM2-135M shape, random", bench.Random135M),
        "serving-135m-int8" => BenchServing.Run("SmolLM2-135M shape, random, int8 decode", bench.Random135M, int8: true),
        "gguf-prepare" => BenchGguf.Prepare(bench),
        "gguf-decode" => BenchGguf.Decode(),
        _ when BenchGguf.LoadCases.Contains(name) => BenchGguf.Load(name),
        _ => throw new UsageException($"unknown bench case '{name}' (cases: {string.Join(", ", AllCases)})"),
    };

    public static LoadedModel WithInt8(LoadedModel model)
    {
        model.Model.UseInt8Inference(true);
        return model;
    }

    // The same executable, one case, its table row passed through.
    private static async Task Child(string name, BenchModels bench)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        foreach (var a in new[] { "bench", "--case", name, "--stories", bench.StoriesPath, "--tokenizer", bench.TokenizerPath }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        Console.WriteLine((await process.StandardOutput.ReadToEndAsync()).TrimEnd());
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) Console.WriteLine($"| {name} | failed (exit {process.ExitCode}) |");
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

/// <summary>The two benchmark models: the real stories260K, and SmolLM2-135M's shape with random weights and its real tokenizer.</summary>
public sealed record BenchModels(string StoriesPath, string TokenizerPath)
{
    public static ModelConfig SmolLm2Shape { get; } = new()
    {
        Family = ModelFamily.Llama, VocabSize = 49152, HiddenSize = 576, IntermediateSize = 1536, NumLayers = 30,
        NumHeads = 9, NumKvHeads = 3, MaxPositions = 2048, NormEps = 1e-5, RopeTheta = 100000, TieWordEmbeddings = true,
    };

    public LoadedModel Stories() => ModelLoader.Load(StoriesPath);

    public LoadedModel Random135M() => RandomModel.Create(SmolLm2Shape, TokenizerLoader.FromFolder(TokenizerPath),
        new ModelSource(TokenizerPath, ModelFormat.HuggingFace, TokenizerPath, null), ComputeDevice.Detect());
}
