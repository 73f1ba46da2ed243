using TorchSharp;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Training;

/// <summary>Summed next-token cross-entropy over target positions, without gradients; shared by evaluation and perplexity.</summary>
public static class TokenLosses
{
    public static double Sum(CausalLM model, Tensor ids, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var hidden = model.Hidden(ids);
        var mask = targets.narrow(1, 1, targets.shape[1] - 1);
        var selected = hidden.narrow(1, 0, hidden.shape[1] - 1)[mask];
        var labels = ids.narrow(1, 1, ids.shape[1] - 1)[mask];
        double sum = 0;
        for (long start = 0; start < selected.shape[0]; start += 1024)
        {
            long rows = Math.Min(1024, selected.shape[0] - start);
            var logits = model.Head(selected.narrow(0, start, rows)).to(ScalarType.Float32);
            sum += nn.functional.cross_entropy(logits, labels.narrow(0, start, rows), reduction: nn.Reduction.Sum).item<float>();
        }
        return sum;
    }
}
