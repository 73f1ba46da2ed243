using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>Root-mean-square layer norm (Llama). Computed in fp32 so bf16 activations keep their precision.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double eps;

    public RmsNorm(long size, double eps) : base(nameof(RmsNorm))
    {
        weight = new Parameter(ones(size));
        this.eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to(ScalarType.Float32);
        var normed = x32 * rsqrt(x32.mul(x32).mean([-1], keepdim: true).add(TorchScalars.Of(eps), TorchScalars.One));
        return (normed.to(x.dtype) * weight).MoveToOuterDisposeScope();
    }
}
