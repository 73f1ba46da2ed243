using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>The Llama/Qwen2 decoder stack under HF's names: embed_tokens, layers.N, norm.</summary>
public sealed class LlamaModel : nn.Module, IBackbone
{
    private readonly TokenEmbedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly RotaryEmbedding rotary_emb;

    public LlamaModel(ModelConfig config) : base(nameof(LlamaModel))
    {
        embed_tokens = new TokenEmbedding(config.VocabSize, config.HiddenSize);
        layers = new ModuleList<LlamaDecoderLayer>([.. Enumerable.Range(0, config.NumLayers).Select(i => new LlamaDecoderLayer(config, i))]);
        norm = new RmsNorm(config.HiddenSize, config.NormEps);
        rotary_emb = new RotaryEmbedding(config.HeadDim, config.MaxPositions, config.RopeTheta, config.RopeScaling);
        RegisterComponents();
    }

    public TokenEmbedding Embeddings => embed_tokens;

    public Tensor Forward(Tensor ids, IKvCache? cache, LayerRunner runner)
    {
        using var scope = NewDisposeScope();
        var hidden = embed_tokens.call(ids);
        var (cos, sin) = cache?.RowPositions is { } positions
            ? rotary_emb.Tables(positions, hidden.dtype)
            : rotary_emb.Tables(cache?.Length ?? 0, ids.shape[1], hidden.dtype);
        hidden = runner.Run(layers, hidden, new StepContext(cache, cos, sin));
        cache?.Advance(ids.shape[1]);
        return norm.call(hidden).MoveToOuterDisposeScope();
    }
}
