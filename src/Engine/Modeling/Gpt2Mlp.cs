using TorchSharp;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>GPT-2 feed-forward: c_proj(gelu_tanh(c_fc(x))).</summary>
public sealed class Gpt2Mlp : nn.Module<Tensor, Tensor>
{
    private readonly AdaptableLinear c_fc;
    private readonly AdaptableLinear c_proj;

    public Gpt2Mlp(ModelConfig config) : base(nameof(Gpt2Mlp))
    {
        c_fc = new AdaptableLinear(config.HiddenSize, config.IntermediateSize, true);
        c_proj = new AdaptableLinear(config.IntermediateSize, config.HiddenSize, true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = c_fc.call(x);
        // GPT-2's "gelu_new": the tanh approximation.
        var inner = h.add(h.pow(TorchScalars.Of(3)).mul(TorchScalars.Of(0.044715)), TorchScalars.One).mul(TorchScalars.Of(Math.Sqrt(2 / Math.PI)));
        var gelu = h.mul(TorchScalars.Of(0.5)).mul(tanh(inner).add(TorchScalars.One, TorchScalars.One));
        return c_proj.call(gelu).MoveToOuterDisposeScope();
    }
}
