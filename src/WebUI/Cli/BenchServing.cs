using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;
using static TorchSharp.torch;

namespace WebUI.Cli;

/// <summary>
/// Continuous batching through the HTTP API, as a client sees it: 1, 4, 8 and 16 concurrent greedy streams of 128
/// tokens each against the running app on loopback, then 8 streams spread over 4 adapters. Aggregate decode
/// tokens/s is every stream's tokens over the wall time; time to first token is the median over the streams.
/// </summary>
public static class BenchServing
{
    public const string Header = "| model | streams | adapters | aggregate tokens/s | vs 1 stream | median time to first token |\n|---|---:|---:|---:|---:|---:|";
    private const int NewTokens = 128;

    /// <param name="int8">Decode from int8 weights (the Model tab's switch), to see how that path scales with streams.</param>
    public static async Task<int> Run(string name, Func<LoadedModel> load, bool int8 = false)
    {
        var root = Path.Combine(Path.GetTempPath(), $"webui-bench-{Guid.NewGuid():N}");
        var paths = new StudioPaths(root);
        paths.EnsureFolders();
        try
        {
            var modelDir = Path.Combine(paths.Models, "bench");
            using (var worker = new TorchWorker("bench-setup"))
                await worker.Run(() => WriteModelAndAdapters(load, modelDir, paths.Loras));
            int port = FreePort();
            var startup = StartupOptions.Parse(["--port", port.ToString(CultureInfo.InvariantCulture)]) with
            {
                Settings = new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" },
            };
            await using var app = StudioApp.Build(startup, paths);
            await app.StartAsync();
            var engine = app.Services.GetRequiredService<StudioEngine>();
            await engine.LoadModelAsync(modelDir);
            if (int8) await engine.SetInt8DecodingAsync(true);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/v1/"), Timeout = TimeSpan.FromMinutes(30) };

            await Round(http, 1, []); // warm-up
            double single = 0;
            foreach (int streams in new[] { 1, 4, 8, 16 })
            {
                var (rate, ttft) = await Round(http, streams, []);
                if (streams == 1) single = rate;
                Print(name, streams, 0, rate, single, ttft);
            }
            var (mixedRate, mixedTtft) = await Round(http, 8, ["a0", "a1", "a2", "a3"]);
            Print(name, 8, 4, mixedRate, single, mixedTtft);
            await app.StopAsync();
            return 0;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static void Print(string name, int streams, int adapters, double rate, double single, double ttft) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {streams} | {(adapters == 0 ? "none" : adapters.ToString(CultureInfo.InvariantCulture))} | {rate:F1} | {rate / single:F1}x | {ttft * 1000:F0} ms |"));

    private static void WriteModelAndAdapters(Func<LoadedModel> load, string modelDir, string loras)
    {
        using var model = load();
        HfModelWriter.Write(model, modelDir);
        for (int i = 0; i < 4; i++)
        {
            using var adapter = LoraAdapter.CreateTrainable($"a{i}", model.Model, new LoraOptions { Rank = 8, Alpha = 16 }, seed: i, baseModel: "bench");
            using (no_grad())
                foreach (var (_, b) in adapter.Weights.Values) b.copy_(randn(b.shape) * 0.01);
            adapter.Save(Path.Combine(loras, $"a{i}"));
        }
    }

    /// <summary>Streams at once, adapters given round-robin; returns aggregate completion tokens/s and the median time to first token.</summary>
    private static async Task<(double TokensPerSecond, double MedianTtft)> Round(HttpClient http, int streams, string[] adapters)
    {
        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, streams).Select(i =>
            Stream(http, adapters.Length == 0 ? "bench" : adapters[i % adapters.Length], clock)));
        double wall = clock.Elapsed.TotalSeconds;
        var ttfts = results.Select(r => r.Ttft).Order().ToList();
        return (results.Sum(r => r.Tokens) / wall, ttfts[ttfts.Count / 2]);
    }

    private static async Task<(int Tokens, double Ttft)> Stream(HttpClient http, string model, Stopwatch clock)
    {
        var body = new
        {
            model, prompt = "Once upon a time, in a small village by the sea, there lived", max_tokens = NewTokens, temperature = 0,
            stream = true, ignore_eos = true, stream_options = new { include_usage = true },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "completions") { Content = JsonContent.Create(body) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        double? ttft = null;
        int tokens = 0;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal) || line == "data: [DONE]") continue;
            using var chunk = JsonDocument.Parse(line[6..]);
            if (chunk.RootElement.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0) ttft ??= clock.Elapsed.TotalSeconds;
            if (chunk.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                tokens = usage.GetProperty("completion_tokens").GetInt32();
        }
        return (tokens, ttft ?? clock.Elapsed.TotalSeconds);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
