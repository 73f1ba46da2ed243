using TorchSharp;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Training;

/// <summary>
/// AdamW with decoupled weight decay (Loshchilov and Hutter), written out so that its state is plain named
/// tensors that a checkpoint can store and a resumed run can restore exactly.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly IReadOnlyList<(string Name, Tensor Parameter)> parameters;
    private readonly Dictionary<string, (Tensor Mean, Tensor Variance)> state = [];
    private readonly double beta1, beta2, epsilon, weightDecay;

    public AdamW(IReadOnlyList<(string Name, Tensor Parameter)> parameters, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        this.parameters = parameters;
        (this.beta1, this.beta2, this.epsilon, this.weightDecay) = (beta1, beta2, epsilon, weightDecay);
        foreach (var (name, p) in parameters)
            state[name] = (zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope());
    }

    public int Steps { get; private set; }

    /// <summary>Scales gradients so their global L2 norm is at most <paramref name="maxNorm"/> (0: no clipping); returns the norm before clipping.</summary>
    public double ClipGradients(double maxNorm)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var grads = parameters.Select(p => p.Parameter.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0;
        // Each square is dropped as soon as it is summed: all of them at once would be a second copy of the gradients.
        double norm = stack(grads.Select(SumOfSquares).ToList()).sum().sqrt().item<float>();
        if (maxNorm <= 0 || norm <= maxNorm) return norm;
        using var factor = (maxNorm / (norm + 1e-6)).ToScalar(); // held for the loop: see TorchScalars
        foreach (var g in grads) g.mul_(factor);
        return norm;
    }

    private static Tensor SumOfSquares(Tensor g)
    {
        using var scope = NewDisposeScope();
        return g.mul(g).sum().MoveToOuterDisposeScope();
    }

    public void Step(double learningRate)
    {
        Steps++;
        double correction1 = 1 - Math.Pow(beta1, Steps), correction2 = 1 - Math.Pow(beta2, Steps);
        using var noGrad = no_grad();
        // This step's numbers as Scalars held until it ends (see TorchScalars).
        using Scalar keepMean = beta1.ToScalar(), newMean = (1 - beta1).ToScalar(), keepVariance = beta2.ToScalar(), newVariance = (1 - beta2).ToScalar(),
            decay = (1 - learningRate * weightDecay).ToScalar(), unbias = correction2.ToScalar(), eps = epsilon.ToScalar(), stepSize = (-learningRate / correction1).ToScalar();
        foreach (var (name, p) in parameters)
        {
            using var scope = NewDisposeScope();
            var grad = p.grad;
            if (grad is null) continue;
            var (mean, variance) = state[name];
            mean.mul_(keepMean).add_(grad, alpha: newMean);
            variance.mul_(keepVariance).addcmul_(grad, grad, value: newVariance);
            if (weightDecay > 0) p.mul_(decay);
            // The denominator is a temporary the size of its rows; a few rows at a time it stays small even for a
            // 49k-token embedding (113 MB whole), which full fine-tuning would otherwise add to its peak.
            long rows = p.dim() == 0 ? 1 : p.shape[0], rowsPerChunk = Math.Max(1, DenominatorChunk / Math.Max(1, p.numel() / rows));
            for (long start = 0; start < rows; start += rowsPerChunk)
            {
                using var chunkScope = NewDisposeScope();
                long count = Math.Min(rowsPerChunk, rows - start);
                Tensor Rows(Tensor t) => t.dim() == 0 ? t : t.narrow(0, start, count);
                var denominator = Rows(variance).div(unbias).sqrt_().add_(eps, TorchScalars.One);
                Rows(p).addcdiv_(Rows(mean), denominator, value: stepSize);
            }
        }
    }

    private const long DenominatorChunk = 1 << 20;

    public void ZeroGradients()
    {
        // Each read of .grad makes a new handle; the scope releases them.
        using var scope = NewDisposeScope();
        foreach (var (_, p) in parameters) p.grad?.zero_();
    }

    /// <summary>The moments by name ("NAME.exp_avg", "NAME.exp_avg_sq"), for a checkpoint.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateTensors() => state.SelectMany(kv => new[]
    {
        KeyValuePair.Create($"{kv.Key}.exp_avg", kv.Value.Mean), KeyValuePair.Create($"{kv.Key}.exp_avg_sq", kv.Value.Variance),
    });

    public void Restore(int steps, Func<string, Tensor> read)
    {
        using var noGrad = no_grad();
        foreach (var (name, (mean, variance)) in state)
        {
            using var m = read($"{name}.exp_avg");
            using var v = read($"{name}.exp_avg_sq");
            mean.copy_(m);
            variance.copy_(v);
        }
        Steps = steps;
    }

    public void Dispose()
    {
        foreach (var (mean, variance) in state.Values) { mean.Dispose(); variance.Dispose(); }
    }
}
