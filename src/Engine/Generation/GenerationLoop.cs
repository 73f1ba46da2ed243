using System.Diagnostics;
using TorchSharp;
using WebUI.Engine.Loading;
using static TorchSharp.torch;

namespace WebUI.Engine.Generation;

/// <summary>
/// The token loop, run synchronously on the torch thread: one forward pass over the whole prompt, then one token
/// at a time against the KV cache, each step in its own dispose scope.
/// </summary>
public static class GenerationLoop
{
    public static void Run(LoadedModel loaded, IReadOnlyList<int> promptIds, GenerationOptions options,
        Action<GenerationChunk> emit, CancellationToken cancellationToken)
    {
        var model = loaded.Model;
        int context = model.Config.MaxPositions;
        if (promptIds.Count == 0) throw new ArgumentException("the prompt is empty");
        if (promptIds.Count >= context)
            throw new ArgumentException($"the prompt has {promptIds.Count} tokens; the model's context is {context}");

        var sampler = new TokenSampler(options);
        var decoder = new Utf8StreamDecoder(loaded.Tokenizer);
        var stops = new StopStringMatcher(options.StopStrings);
        var history = new List<int>(promptIds);
        var eos = options.StopAtEos ? loaded.Tokenizer.EosIds.ToHashSet() : [];
        var clock = Stopwatch.StartNew();
        double prefillSeconds = 0;
        int generated = 0;
        FinishReason finish;

        using var inference = torch.inference_mode();
        using var cache = model.CreateCache(1, Math.Min(context, promptIds.Count + options.MaxNewTokens));
        var logits = NextLogits(model, promptIds, cache);
        while (true)
        {
            int token = sampler.Next(logits, history);
            if (generated++ == 0) prefillSeconds = clock.Elapsed.TotalSeconds;
            if (eos.Contains(token)) { finish = FinishReason.EndOfSequence; break; }
            history.Add(token);
            var scan = stops.Push(decoder.Push(token));
            emit(new GenerationChunk(scan.Emit, token, null));
            if (scan.Stopped) { finish = FinishReason.StopString; break; }
            if (generated >= options.MaxNewTokens || cache.Length + 1 > cache.Capacity) { finish = FinishReason.Length; break; }
            if (cancellationToken.IsCancellationRequested) { finish = FinishReason.Cancelled; break; }
            logits = NextLogits(model, [token], cache);
        }

        var tail = "";
        if (finish != FinishReason.StopString)
        {
            // Bytes still pending in the decoder can complete a stop string too.
            var last = stops.Push(decoder.Flush());
            tail = last.Stopped ? last.Emit : last.Emit + stops.Flush();
            if (last.Stopped) finish = FinishReason.StopString;
        }
        var stats = new GenerationStats(promptIds.Count, generated, prefillSeconds, clock.Elapsed.TotalSeconds - prefillSeconds);
        emit(new GenerationChunk(tail, null, finish, stats));
    }

    /// <summary>Runs <paramref name="ids"/> through the model on top of the cache; returns the last position's logits.</summary>
    private static float[] NextLogits(Modeling.CausalLM model, IReadOnlyList<int> ids, Modeling.KvCache cache)
    {
        using var scope = NewDisposeScope();
        var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count], device: model.Device);
        var logits = model.Forward(input, cache, lastTokenOnly: true);
        return logits.reshape(-1).to(ScalarType.Float32).cpu().data<float>().ToArray();
    }
}
