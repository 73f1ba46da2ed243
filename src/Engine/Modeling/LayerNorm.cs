using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>Layer norm with weight and bias (GPT-2), HF parameter names.</summary>
public sealed class LayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly double eps;

    public LayerNorm(long size, double eps) : base(nameof(LayerNorm))
    {
        weight = new Parameter(ones(size));
        bias = new Parameter(zeros(size));
        this.eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => nn.functional.layer_norm(x, [weight.shape[0]], weight, bias, eps);
}
