using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>The GPT-2 decoder stack under HF's names: wte, wpe, h.N, ln_f.</summary>
public sealed class Gpt2Model : nn.Module, IBackbone
{
    private readonly TokenEmbedding wte;
    private readonly TokenEmbedding wpe;
    private readonly ModuleList<Gpt2Block> h;
    private readonly LayerNorm ln_f;

    public Gpt2Model(ModelConfig config) : base(nameof(Gpt2Model))
    {
        wte = new TokenEmbedding(config.VocabSize, config.HiddenSize);
        wpe = new TokenEmbedding(config.MaxPositions, config.HiddenSize);
        h = new ModuleList<Gpt2Block>([.. Enumerable.Range(0, config.NumLayers).Select(i => new Gpt2Block(config, i))]);
        ln_f = new LayerNorm(config.HiddenSize, config.NormEps);
        RegisterComponents();
    }

    public TokenEmbedding Embeddings => wte;

    public Tensor Forward(Tensor ids, IKvCache? cache, LayerRunner runner)
    {
        using var scope = NewDisposeScope();
        // A decode step over rows of different lengths has per-row positions (bounded by the cache's capacity).
        long offset = cache is { RowPositions: null } ? cache.Length : 0, tokens = ids.shape[1];
        if (offset + tokens > wpe.Weight.shape[0])
            throw new ArgumentException($"position {offset + tokens} is beyond the model's context of {wpe.Weight.shape[0]} tokens");
        var positions = cache?.RowPositions?.unsqueeze(1) ?? TorchScalars.Range(offset, offset + tokens, ids.device).unsqueeze(0);
        var hidden = runner.Run(h, wte.call(ids).add(wpe.call(positions), TorchScalars.One), new StepContext(cache));
        cache?.Advance(tokens);
        return ln_f.call(hidden).MoveToOuterDisposeScope();
    }
}
