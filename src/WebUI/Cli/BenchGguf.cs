using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Cli;

/// <summary>
/// GGUF figures on the 135M-shaped model: load time and peak RSS of the same weights as safetensors and as GGUF F32,
/// F16 and Q8_0 (each load in its own process), then decode speed of WebUI and of real llama.cpp (node-llama-cpp
/// 3.21.1 from tests/peers) on the same GGUF, in one run: F32 against WebUI's fp32 decode, Q8_0 against its int8 decode.
/// </summary>
public static class BenchGguf
{
    public const string LoadHeader = "| 135M weights as | file size | load time | peak RSS |\n|---|---:|---:|---:|";
    public const string DecodeHeader = "| same GGUF, 128-token prompt | WebUI decode tokens/s | llama.cpp decode tokens/s | WebUI / llama.cpp |\n|---|---:|---:|---:|";
    public static readonly string[] LoadCases = ["gguf-load-safetensors", "gguf-load-f32", "gguf-load-f16", "gguf-load-q8_0"];
    private const int PromptTokens = 128, NewTokens = 128;

    private static string Folder => Path.Combine(Path.GetTempPath(), "webui-bench-gguf");

    private static string FileOf(string loadCase) => loadCase == "gguf-load-safetensors"
        ? Path.Combine(Folder, "hf") : Path.Combine(Folder, $"model-{loadCase["gguf-load-".Length..]}.gguf");

    /// <summary>Writes the random 135M model once in every format the load cases read.</summary>
    public static async Task<int> Prepare(BenchModels bench)
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
        Directory.CreateDirectory(Folder);
        using var worker = new TorchWorker("bench");
        await worker.Run(() =>
        {
            using var model = bench.Random135M();
            HfModelWriter.Write(model, FileOf("gguf-load-safetensors"));
            foreach (var (name, type) in new[] { ("f32", GgmlType.F32), ("f16", GgmlType.F16), ("q8_0", GgmlType.Q8_0) })
                GgufModelFile.Write(model, FileOf($"gguf-load-{name}"), type, "bench");
        });
        return 0;
    }

    public static void Clean()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }

    public static async Task<int> Load(string loadCase)
    {
        var path = FileOf(loadCase);
        using var worker = new TorchWorker("bench");
        var clock = Stopwatch.StartNew();
        using var model = await worker.Run(() => ModelLoader.Load(path, ComputeDevice.Cpu));
        var seconds = clock.Elapsed.TotalSeconds;
        long size = Directory.Exists(path) ? Directory.EnumerateFiles(path).Sum(f => new FileInfo(f).Length) : new FileInfo(path).Length;
        var label = loadCase == "gguf-load-safetensors" ? "safetensors F32" : $"GGUF {loadCase["gguf-load-".Length..].ToUpperInvariant()}";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {label} | {size / 1e6:F0} MB | {seconds:F2} s | {ProcessMemory.PeakRssMegabytes():F0} MB |"));
        return 0;
    }

    /// <summary>WebUI and llama.cpp decoding the same file: the F32 GGUF in fp32, and the Q8_0 GGUF with WebUI's int8 decode.</summary>
    public static async Task<int> Decode()
    {
        foreach (var (file, int8, label) in new[] { ("gguf-load-f32", false, "F32, WebUI fp32"), ("gguf-load-q8_0", true, "Q8_0, WebUI int8") })
        {
            var path = FileOf(file);
            using var worker = new TorchWorker("bench");
            using var model = await worker.Run(() =>
            {
                var loaded = ModelLoader.Load(path, ComputeDevice.Cpu);
                if (int8) loaded.Model.UseInt8Inference(true);
                return loaded;
            });
            using var adapterCache = new AdapterCache(CliAdapters.FolderOf, capacity: 1);
            await using var generator = new GenerationScheduler(worker, model, adapterCache, new SchedulerLimits());
            var random = new Random(1234);
            var prompt = Enumerable.Range(0, PromptTokens).Select(_ => random.Next(3, model.Config.VocabSize)).ToArray();
            var options = new GenerationOptions { Temperature = 0, MaxNewTokens = NewTokens, StopAtEos = false };
            await BenchInference.Generate(generator, prompt, options with { MaxNewTokens = 4 });
            double ours = 0;
            for (int i = 0; i < 3; i++) ours = Math.Max(ours, (await BenchInference.Generate(generator, prompt, options)).DecodeTokensPerSecond);
            var theirs = LlamaCppDecode(path, prompt);
            Console.WriteLine(theirs is double t
                ? FormattableString.Invariant($"| SmolLM2-135M shape, random, {label} | {ours:F1} | {t:F1} | {ours / t:F2}x |")
                : FormattableString.Invariant($"| SmolLM2-135M shape, random, {label} | {ours:F1} | unavailable (run tests/peers/install.sh) | |"));
        }
        return 0;
    }

    /// <summary>llama.cpp's best decode tokens/s of 3 on the file, or null when tests/peers has no llama.cpp.</summary>
    private static double? LlamaCppDecode(string gguf, int[] prompt)
    {
        if (FindPeers() is not { } peers) return null;
        var start = new ProcessStartInfo("node") { WorkingDirectory = peers, RedirectStandardOutput = true };
        foreach (var arg in new[] { "llama-decode.mjs", gguf, string.Join(",", prompt), NewTokens.ToString(), Environment.ProcessorCount.ToString() })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) return null;
        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        return json.RootElement.GetProperty("decode_tokens_per_second").GetDouble();
    }

    /// <summary>tests/peers with node-llama-cpp installed, above the working directory or this executable.</summary>
    private static string? FindPeers()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var peers = Path.Combine(dir.FullName, "tests", "peers");
                if (File.Exists(Path.Combine(peers, "node_modules", "node-llama-cpp", "package.json"))) return peers;
            }
        return null;
    }
}
