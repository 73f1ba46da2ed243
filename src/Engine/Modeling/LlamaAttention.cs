using TorchSharp;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>Llama/Qwen2 self-attention: separate q/k/v/o projections, rotary positions, grouped-query heads.</summary>
public sealed class LlamaAttention : nn.Module
{
    private readonly AdaptableLinear q_proj;
    private readonly AdaptableLinear k_proj;
    private readonly AdaptableLinear v_proj;
    private readonly AdaptableLinear o_proj;
    private readonly int heads, kvHeads, headDim;

    public LlamaAttention(ModelConfig config) : base(nameof(LlamaAttention))
    {
        heads = config.NumHeads;
        kvHeads = config.KvHeads;
        headDim = config.HeadDim;
        q_proj = new AdaptableLinear(config.HiddenSize, heads * headDim, config.AttentionBias);
        k_proj = new AdaptableLinear(config.HiddenSize, kvHeads * headDim, config.AttentionBias);
        v_proj = new AdaptableLinear(config.HiddenSize, kvHeads * headDim, config.AttentionBias);
        o_proj = new AdaptableLinear(heads * headDim, config.HiddenSize, false);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, StepContext step, int layer)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], tokens = x.shape[1];
        var q = RotaryEmbedding.Rotate(q_proj.call(x).view(batch, tokens, heads, headDim).transpose(1, 2), step.RopeCos!, step.RopeSin!);
        var k = RotaryEmbedding.Rotate(k_proj.call(x).view(batch, tokens, kvHeads, headDim).transpose(1, 2), step.RopeCos!, step.RopeSin!);
        var v = v_proj.call(x).view(batch, tokens, kvHeads, headDim).transpose(1, 2);
        Tensor? mask = null;
        if (step.Cache is not null) (k, v, mask) = step.Cache.Append(layer, k, v);
        var attended = AttentionMath.Attend(q, k, v, mask).transpose(1, 2).reshape(batch, tokens, heads * headDim);
        return o_proj.call(attended).MoveToOuterDisposeScope();
    }
}
