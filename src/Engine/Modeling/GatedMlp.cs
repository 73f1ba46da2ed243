using TorchSharp;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>Llama/Qwen2 SwiGLU feed-forward: down(silu(gate(x)) * up(x)).</summary>
public sealed class GatedMlp : nn.Module<Tensor, Tensor>
{
    private readonly AdaptableLinear gate_proj;
    private readonly AdaptableLinear up_proj;
    private readonly AdaptableLinear down_proj;

    public GatedMlp(ModelConfig config) : base(nameof(GatedMlp))
    {
        gate_proj = new AdaptableLinear(config.HiddenSize, config.IntermediateSize, false);
        up_proj = new AdaptableLinear(config.HiddenSize, config.IntermediateSize, false);
        down_proj = new AdaptableLinear(config.IntermediateSize, config.HiddenSize, false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return down_proj.call(nn.functional.silu(gate_proj.call(x)) * up_proj.call(x)).MoveToOuterDisposeScope();
    }
}
