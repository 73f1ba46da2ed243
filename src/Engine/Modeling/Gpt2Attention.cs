using TorchSharp;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>GPT-2 self-attention: one fused c_attn projection for q/k/v, biases, no rotary positions.</summary>
public sealed class Gpt2Attention : nn.Module
{
    private readonly AdaptableLinear c_attn;
    private readonly AdaptableLinear c_proj;
    private readonly int heads, headDim;

    public Gpt2Attention(ModelConfig config) : base(nameof(Gpt2Attention))
    {
        heads = config.NumHeads;
        headDim = config.HeadDim;
        c_attn = new AdaptableLinear(config.HiddenSize, 3L * config.HiddenSize, true);
        c_proj = new AdaptableLinear(config.HiddenSize, config.HiddenSize, true);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, StepContext step, int layer)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], tokens = x.shape[1];
        var qkv = c_attn.call(x).view(batch, tokens, 3, heads, headDim).permute(2, 0, 3, 1, 4);
        Tensor q = qkv[0], k = qkv[1], v = qkv[2];
        Tensor? mask = null;
        if (step.Cache is not null) (k, v, mask) = step.Cache.Append(layer, k, v);
        var attended = AttentionMath.Attend(q, k, v, mask).transpose(1, 2).reshape(batch, tokens, heads * headDim);
        return c_proj.call(attended).MoveToOuterDisposeScope();
    }
}
