using TorchSharp;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>GPT-2: `transformer` whose token embedding doubles as the output head.</summary>
public sealed class Gpt2LMHeadModel : CausalLM
{
    private readonly Gpt2Model transformer;

    public Gpt2LMHeadModel(ModelConfig config) : base(nameof(Gpt2LMHeadModel), config)
    {
        transformer = new Gpt2Model(config);
        RegisterComponents();
    }

    protected override IBackbone Backbone => transformer;
    public override Tensor OutputWeight => transformer.Embeddings.Weight;
    public override Tensor Head(Tensor hidden) => TiedHead(hidden, transformer.Embeddings.Weight);
}
