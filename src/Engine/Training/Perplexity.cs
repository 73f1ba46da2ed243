using WebUI.Engine.Loading;
using static TorchSharp.torch;

namespace WebUI.Engine.Training;

/// <summary>Mean loss per token and its perplexity.</summary>
public sealed record PerplexityResult(double Loss, long Tokens)
{
    public double Perplexity => Math.Exp(Loss);
}

/// <summary>
/// Perplexity of a text as text-generation-webui's perplexity tab and HF's guide compute it: windows of
/// <c>context</c> tokens advancing by <c>stride</c>, each scoring only the tokens no earlier window scored.
/// Runs with whatever adapters are active on the calling (torch) thread.
/// </summary>
public static class Perplexity
{
    public static PerplexityResult Compute(LoadedModel model, string text, int context, int stride)
    {
        if (stride < 1 || stride > context) throw new ArgumentException($"stride must be in [1, context {context}] (got {stride})");
        context = Math.Min(context, model.Config.MaxPositions);
        var ids = model.Tokenizer.Encode(text).Select(i => (long)i).ToArray();
        if (ids.Length < 2) throw new ArgumentException("the text has fewer than two tokens");
        using var noGrad = no_grad();
        double sum = 0;
        long scored = 0, end = 1;
        for (long start = 0; end < ids.Length; start += stride)
        {
            using var scope = NewDisposeScope();
            long stop = Math.Min(start + context, ids.Length);
            var window = tensor(ids[(int)start..(int)stop], [1, stop - start], device: model.Model.Device);
            var targets = new bool[stop - start];
            for (long t = Math.Max(end, start + 1); t < stop; t++) targets[t - start] = true;
            sum += TokenLosses.Sum(model.Model, model.Model.Hidden(window), window, tensor(targets, [1, stop - start], device: model.Model.Device));
            scored += targets.LongCount(b => b);
            end = stop;
        }
        return new PerplexityResult(sum / scored, scored);
    }
}
