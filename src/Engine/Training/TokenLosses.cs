using TorchSharp;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Training;

/// <summary>
/// Summed next-token cross-entropy over target positions, computed a chunk of positions at a time so that
/// full-vocabulary logits never exist for a whole batch. 128 rows of a 49k vocabulary is ~25 MB, under glibc's
/// 32 MB mmap ceiling, so the chunks reuse the heap the layers freed instead of adding to it.
/// </summary>
public static class TokenLosses
{
    private const int ChunkRows = 128;

    /// <summary>
    /// <paramref name="hidden"/> [batch, tokens, hidden] are the final hidden states of <paramref name="ids"/>.
    /// With <paramref name="backwardScale"/>, each chunk's loss times it is back-propagated as soon as it is computed.
    /// </summary>
    public static double Sum(CausalLM model, Tensor hidden, Tensor ids, Tensor targets, double? backwardScale = null)
    {
        using var scope = NewDisposeScope();
        var mask = targets.narrow(1, 1, targets.shape[1] - 1);
        var selected = hidden.narrow(1, 0, hidden.shape[1] - 1)[mask];
        var labels = ids.narrow(1, 1, ids.shape[1] - 1)[mask];
        double sum = 0;
        for (long start = 0; start < selected.shape[0]; start += ChunkRows)
        {
            using var chunkScope = NewDisposeScope();
            long rows = Math.Min(ChunkRows, selected.shape[0] - start);
            var logits = model.Head(selected.narrow(0, start, rows)).to(ScalarType.Float32);
            var loss = nn.functional.cross_entropy(logits, labels.narrow(0, start, rows), reduction: nn.Reduction.Sum);
            sum += loss.item<float>();
            // The chunks share the gather from hidden, so its graph must outlive all but the last backward.
            if (backwardScale is not { } scale) continue;
            using var factor = scale.ToScalar(); // held through the call: see TorchScalars
            loss.mul(factor).backward(null, retain_graph: start + rows < selected.shape[0]);
        }
        return sum;
    }
}
