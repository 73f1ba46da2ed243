using TorchSharp;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>Llama, Qwen2, SmolLM, TinyLlama: `model` plus `lm_head`, which is absent when tied to the embeddings.</summary>
public sealed class LlamaForCausalLM : CausalLM
{
    private readonly LlamaModel model;
    private readonly AdaptableLinear? lm_head;

    public LlamaForCausalLM(ModelConfig config) : base(nameof(LlamaForCausalLM), config)
    {
        model = new LlamaModel(config);
        if (!config.TieWordEmbeddings) lm_head = new AdaptableLinear(config.HiddenSize, config.VocabSize, false);
        RegisterComponents();
    }

    protected override IBackbone Backbone => model;
    public override Tensor OutputWeight => lm_head?.Weight ?? model.Embeddings.Weight;
    public override Tensor Head(Tensor hidden) => lm_head?.call(hidden) ?? TiedHead(hidden, model.Embeddings.Weight);
}
