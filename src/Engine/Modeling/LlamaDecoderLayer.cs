using TorchSharp;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>Pre-norm Llama block: x + attn(norm(x)), then x + mlp(norm(x)).</summary>
public sealed class LlamaDecoderLayer : nn.Module, IDecoderLayer
{
    private readonly RmsNorm input_layernorm;
    private readonly LlamaAttention self_attn;
    private readonly RmsNorm post_attention_layernorm;
    private readonly GatedMlp mlp;
    private readonly int index;

    public LlamaDecoderLayer(ModelConfig config, int index) : base(nameof(LlamaDecoderLayer))
    {
        input_layernorm = new RmsNorm(config.HiddenSize, config.NormEps);
        self_attn = new LlamaAttention(config);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.NormEps);
        mlp = new GatedMlp(config);
        this.index = index;
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, StepContext step)
    {
        using var scope = NewDisposeScope();
        var h = x.add(self_attn.Forward(input_layernorm.call(x), step, index), TorchScalars.One);
        return h.add(mlp.call(post_attention_layernorm.call(h)), TorchScalars.One).MoveToOuterDisposeScope();
    }
}
