using TorchSharp;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>Pre-norm GPT-2 block under HF's names: ln_1, attn, ln_2, mlp.</summary>
public sealed class Gpt2Block : nn.Module, IDecoderLayer
{
    private readonly LayerNorm ln_1;
    private readonly Gpt2Attention attn;
    private readonly LayerNorm ln_2;
    private readonly Gpt2Mlp mlp;
    private readonly int index;

    public Gpt2Block(ModelConfig config, int index) : base(nameof(Gpt2Block))
    {
        ln_1 = new LayerNorm(config.HiddenSize, config.NormEps);
        attn = new Gpt2Attention(config);
        ln_2 = new LayerNorm(config.HiddenSize, config.NormEps);
        mlp = new Gpt2Mlp(config);
        this.index = index;
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, StepContext step)
    {
        using var scope = NewDisposeScope();
        var h = x.add(attn.Forward(ln_1.call(x), step, index), TorchScalars.One);
        return h.add(mlp.call(ln_2.call(h)), TorchScalars.One).MoveToOuterDisposeScope();
    }
}
