using TorchSharp;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests;

public sealed class GenerationLoopTests
{
    [Theory]
    [InlineData(ModelFamily.Llama)]
    [InlineData(ModelFamily.Gpt2)]
    public void Kv_cache_decoding_equals_full_recomputation(ModelFamily family)
    {
        using var loaded = TinyModels.Create(family);
        var model = loaded.Model;
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var ids = randint(3, 512, [1, 20], dtype: ScalarType.Int64);
        var full = model.Forward(ids);

        using var cache = model.CreateCache(1, 20);
        // A 6-token prefill, a 4-token chunk on top of the cache (explicit mask path), then one token at a time.
        var pieces = new List<(long Start, long Length)> { (0, 6), (6, 4) };
        for (long t = 10; t < 20; t++) pieces.Add((t, 1));
        foreach (var (start, length) in pieces)
        {
            var step = model.Forward(ids.narrow(1, start, length), cache);
            var expected = full.narrow(1, start, length);
            Assert.True(step.allclose(expected, rtol: 1e-4, atol: 1e-5), $"logits differ for tokens {start}..{start + length - 1}");
        }
        Assert.Equal(20, cache.Length);
    }

    [Fact]
    public void Seeded_sampling_is_reproducible_and_the_seed_matters()
    {
        using var loaded = ModelLoader.Load(TinyModels.StoriesDir, ComputeDevice.Cpu);
        var prompt = loaded.Tokenizer.Encode("Once upon a time");
        List<int> Sample(long seed)
        {
            var tokens = new List<int>();
            var options = new GenerationOptions { Temperature = 1.0f, TopP = 0.95f, MaxNewTokens = 40, Seed = seed, StopAtEos = false };
            GenerationLoop.Run(loaded, prompt, options, c => { if (c.TokenId is { } id) tokens.Add(id); }, CancellationToken.None);
            return tokens;
        }
        Assert.Equal(Sample(42), Sample(42));
        Assert.NotEqual(Sample(42), Sample(43));
    }

    [Fact]
    public void Dispose_scope_statistics_stay_flat_across_50_decode_steps()
    {
        using var loaded = TinyModels.Create(ModelFamily.Llama);
        var live = new List<long>();
        var options = GenerationOptions.Greedy(60) with { StopAtEos = false };
        GenerationLoop.Run(loaded, [1, 5, 9], options,
            c => { if (c.TokenId is not null) live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount); }, CancellationToken.None);
        Assert.Equal(60, live.Count);
        var afterWarmUp = live.Skip(10).ToList();
        Assert.Equal(50, afterWarmUp.Count);
        Assert.All(afterWarmUp, count => Assert.Equal(afterWarmUp[0], count));
    }

    [Fact]
    public void Generation_stops_at_the_context_length_and_on_cancellation()
    {
        using var loaded = TinyModels.Create(ModelFamily.Llama);
        var chunks = new List<GenerationChunk>();
        var prompt = Enumerable.Range(3, 60).ToList();
        GenerationLoop.Run(loaded, prompt, GenerationOptions.Greedy(100) with { StopAtEos = false }, chunks.Add, CancellationToken.None);
        Assert.Equal(FinishReason.Length, chunks[^1].FinishReason);
        Assert.Equal(64 - 60 + 1, chunks[^1].Stats!.GeneratedTokens);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        chunks.Clear();
        GenerationLoop.Run(loaded, [1, 5], GenerationOptions.Greedy(30) with { StopAtEos = false }, chunks.Add, cancelled.Token);
        Assert.Equal(FinishReason.Cancelled, chunks[^1].FinishReason);
        Assert.Equal(1, chunks[^1].Stats!.GeneratedTokens);
    }

    [Fact]
    public async Task Consumer_cancellation_ends_the_stream_with_a_finish_reason()
    {
        using var worker = new TorchWorker("test");
        using var loaded = await worker.Run(() => TinyModels.Create(ModelFamily.Gpt2));
        using var adapters = new WebUI.Engine.Adapters.AdapterCache(name => name, capacity: 1);
        await using var scheduler = new GenerationScheduler(worker, loaded, adapters, new SchedulerLimits());
        using var cts = new CancellationTokenSource();
        var (stream, afterFirstStep) = await Serving.WorkerHold.StartHeldAfterFirstStepAsync(worker, scheduler,
            new GenerationRequest([1, 2, 3], GenerationOptions.Greedy(50) with { StopAtEos = false }, []));
        await using var _ = stream;
        var chunks = new List<GenerationChunk>();
        using (afterFirstStep)
            await foreach (var chunk in stream.ReadAllAsync(cts.Token))
            {
                chunks.Add(chunk);
                if (chunks.Count == 2) { cts.Cancel(); afterFirstStep.Dispose(); } // the first step's tokens are out
            }
        Assert.Equal(FinishReason.Cancelled, chunks[^1].FinishReason);
        // Two tokens, one more if the next step was queued before the hold, then the end: not 50.
        Assert.InRange(chunks.Count, 3, 4);
    }
}
