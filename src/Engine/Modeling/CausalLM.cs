using TorchSharp;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>
/// A decoder-only language model: a family's backbone plus an output head. Subclasses only name their parts
/// the way Hugging Face does, so the module tree's state dict carries HF's weight names.
/// </summary>
public abstract class CausalLM : nn.Module
{
    protected CausalLM(string name, ModelConfig config) : base(name) => Config = config.Validate();

    public ModelConfig Config { get; }
    protected abstract IBackbone Backbone { get; }
    /// <summary>The output head's weight [vocab, hidden] (the embedding matrix when tied).</summary>
    public abstract Tensor OutputWeight { get; }
    public Device Device => OutputWeight.device;
    public ScalarType DType => OutputWeight.dtype;

    /// <summary>
    /// Final hidden states [batch, tokens, hidden]; appends to and advances <paramref name="cache"/> if given.
    /// <paramref name="runner"/> is the per-call layer policy (training may trade compute for memory).
    /// </summary>
    public Tensor Hidden(Tensor ids, IKvCache? cache = null, LayerRunner? runner = null) => Backbone.Forward(ids, cache, runner ?? LayerRunner.Plain);

    /// <summary>
    /// Logits [batch, tokens, vocab]; with <paramref name="lastPositions"/> (one per row) only at those positions,
    /// [batch, 1, vocab]: a prefill needs only each prompt's last token, which in right-padded rows is not the last column.
    /// </summary>
    public Tensor Forward(Tensor ids, IKvCache? cache = null, IReadOnlyList<long>? lastPositions = null)
    {
        using var scope = NewDisposeScope();
        var hidden = Hidden(ids, cache);
        if (lastPositions is not null)
        {
            long rows = hidden.shape[0], tokens = hidden.shape[1];
            var flat = tensor(lastPositions.Select((position, row) => row * tokens + position).ToArray(), device: hidden.device);
            hidden = hidden.reshape(rows * tokens, hidden.shape[2]).index_select(0, flat).unsqueeze(1);
        }
        return Head(hidden).MoveToOuterDisposeScope();
    }

    public abstract Tensor Head(Tensor hidden);

    private Q8Weights? int8Head;

    /// <summary>Whether decoding reads int8 weights (weight-only Q8_0, per 32-value block); prefill and training stay fp32.</summary>
    public bool Int8Inference { get; private set; }

    /// <summary>
    /// Quantizes every projection and the head (a tied embedding gets its own int8 copy) for decoding, or drops the
    /// int8 copies. The fp32 weights stay: prefill, training, export and adapters' checks read them.
    /// </summary>
    public void UseInt8Inference(bool on)
    {
        foreach (var (_, linear) in Projections()) linear.UseInt8(on);
        int8Head?.Dispose();
        int8Head = on && Projections().All(p => !ReferenceEquals(p.Linear.Weight, OutputWeight)) && Q8Weights.Fits(OutputWeight) ? Q8Weights.Quantize(OutputWeight) : null;
        Int8Inference = on;
    }

    /// <summary>hidden · Eᵀ for a head tied to the embedding E: from its int8 copy when decoding with int8.</summary>
    protected Tensor TiedHead(Tensor hidden, Tensor embedding) =>
        int8Head is { } int8 && int8.Applies(hidden) ? int8.Multiply(hidden) : nn.functional.linear(hidden, embedding);

    protected override void Dispose(bool disposing)
    {
        if (disposing) int8Head?.Dispose();
        base.Dispose(disposing);
    }

    public KvCache CreateCache(long batch, long capacity) =>
        new(Config.NumLayers, batch, Config.KvHeads, Math.Min(capacity, Config.MaxPositions), Config.HeadDim, DType, Device);

    /// <summary>Every projection that can carry adapters, by its HF module path (e.g. model.layers.0.self_attn.q_proj).</summary>
    public IReadOnlyList<(string Path, AdaptableLinear Linear)> Projections() =>
        [.. named_modules().Where(m => m.module is AdaptableLinear).Select(m => (m.name, (AdaptableLinear)m.module))];

    public long ParameterCount() => parameters().Sum(p => p.numel());

    public static CausalLM Create(ModelConfig config) => config.Family switch
    {
        ModelFamily.Gpt2 => new Gpt2LMHeadModel(config),
        _ => new LlamaForCausalLM(config),
    };
}
