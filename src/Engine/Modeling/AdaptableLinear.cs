using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>
/// A linear projection whose output can carry low-rank adapter branches. The base weight is loaded once; adapters
/// are attached and detached by reference, which is what makes switching them instant.
/// </summary>
public sealed class AdaptableLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    // Per thread: a training thread can train its adapter while the chat thread generates with other adapters
    // (or none) on the same frozen base weights.
    private readonly ThreadLocal<IReadOnlyList<LoraBranch>> branches = new(() => []);

    public AdaptableLinear(long inFeatures, long outFeatures, bool hasBias) : base(nameof(AdaptableLinear))
    {
        // Stored [in, out] and exposed as its transpose: x @ W^T then reads contiguous memory, which makes
        // single-token decoding about 1.7x faster on CPU BLAS, while names and shapes stay HF's [out, in].
        weight = new Parameter(empty(inFeatures, outFeatures).t());
        if (hasBias) bias = new Parameter(zeros(outFeatures));
        RegisterComponents();
    }

    public long InFeatures => weight.shape[1];
    public long OutFeatures => weight.shape[0];
    public Parameter Weight => weight;
    public Parameter? Bias => bias;
    /// <summary>The weight as int8 blocks for decoding (<see cref="CausalLM.UseInt8Inference"/>), or null; the fp32 weight stays for prefill and training.</summary>
    public Q8Weights? Int8 { get; private set; }

    /// <summary>Quantizes the weight for decoding, or drops the int8 copy; a weight whose rows are no whole blocks stays fp32.</summary>
    public void UseInt8(bool on)
    {
        Int8?.Dispose();
        Int8 = on && Q8Weights.Fits(weight) ? Q8Weights.Quantize(weight) : null;
    }

    /// <summary>The adapter branches active on the calling thread.</summary>
    public IReadOnlyList<LoraBranch> Branches => branches.Value!;

    /// <summary>Replaces the calling thread's adapter branches; the tensors stay owned by their adapters.</summary>
    public void SetBranches(IReadOnlyList<LoraBranch> active) => branches.Value = active;

    public override Tensor forward(Tensor x)
    {
        var y = Int8 is { } int8 && int8.Applies(x) ? WithBias(int8.Multiply(x))
            : x.numel() == InFeatures ? SingleRow(x) : nn.functional.linear(x, weight, bias);
        var active = branches.Value!;
        if (active.Count == 0) return y;
        // DoRA scales the base output, so it needs it as it was before any branch added to it, and without the bias.
        using var baseOutput = active.Any(b => b.Magnitude is not null) ? (bias is null ? y.clone() : y.add(bias, TorchScalars.Of(-1))) : null;
        foreach (var branch in active)
        {
            using var scope = NewDisposeScope();
            // A branch for some rows of a batch (sequences with different adapters) reads and adds only those rows.
            var rows = branch.Rows is { } r ? x.index_select(0, r) : x;
            var input = AdapterDropout.Apply(rows, branch.Dropout);
            var delta = nn.functional.linear(nn.functional.linear(input, branch.A), branch.B).mul(TorchScalars.Of(branch.Scale));
            if (branch.Magnitude is { } magnitude)
            {
                var k = branch.FrozenMagnitudeScale ?? DoraMath.MagnitudeScale(weight, branch.A, branch.B, branch.Scale, magnitude);
                // With dropout the base term is recomputed on the dropped-out input, as PEFT does.
                var baseRows = !ReferenceEquals(input, rows) ? nn.functional.linear(input, weight)
                    : branch.Rows is { } indices ? baseOutput!.index_select(0, indices) : baseOutput!;
                delta = baseRows.mul(k.add(TorchScalars.Of(-1), TorchScalars.One)).add(delta.mul(k), TorchScalars.One);
            }
            delta = delta.to(y.dtype);
            if (branch.Rows is null) y.add_(delta, TorchScalars.One);
            else y.index_add_(0, branch.Rows, delta, TorchScalars.One);
        }
        return y;
    }

    // A single row (decoding) is a matrix-vector product, which CPU BLAS runs on one thread. Splitting the input
    // dimension in two and summing a batched product puts both cores on streaming the weight: ~30% faster.
    private Tensor WithBias(Tensor y) => bias is null ? y : y.add_(bias, TorchScalars.One);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            branches.Dispose();
            Int8?.Dispose();
        }
        base.Dispose(disposing);
    }

    private const long SplitThreshold = 1 << 18;  // below ~1 MB of weights the extra ops cost more than they save

    private Tensor SingleRow(Tensor x)
    {
        var transposed = weight.t();
        if (InFeatures % 2 != 0 || weight.numel() < SplitThreshold || !transposed.is_contiguous() || x.device.type != DeviceType.CPU)
            return nn.functional.linear(x, weight, bias);
        using var scope = NewDisposeScope();
        long half = InFeatures / 2;
        var y = x.reshape(2, 1, half).bmm(transposed.view(2, half, OutFeatures)).sum(dim: 0);
        if (bias is not null) y = y.add(bias, TorchScalars.One);
        return y.view([.. x.shape[..^1], OutFeatures]).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// One adapter's low-rank update on one projection: y += scale · B(A(x)). A is [r, in], B is [out, r]. With
/// <paramref name="Rows"/> (int64 indices into the batch) it applies to those rows only. A DoRA branch has its
/// <paramref name="Magnitude"/> [out] and, when the adapter is frozen, its <paramref name="FrozenMagnitudeScale"/>
/// computed once (<see cref="DoraMath.MagnitudeScale"/>); a trainable one recomputes it every pass.
/// </summary>
public sealed record LoraBranch(Tensor A, Tensor B, double Scale, double Dropout, Tensor? Rows = null, Tensor? Magnitude = null,
    Tensor? FrozenMagnitudeScale = null);
