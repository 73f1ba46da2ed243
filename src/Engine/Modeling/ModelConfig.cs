namespace WebUI.Engine.Modeling;

/// <summary>The model families the engine implements; Qwen2 is Llama with q/k/v biases.</summary>
public enum ModelFamily { Llama, Qwen2, Gpt2 }

/// <summary>Shape and numerics of a decoder-only transformer, independent of where it was read from.</summary>
public sealed record ModelConfig
{
    public required ModelFamily Family { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public int NumKvHeads { get; init; }
    public required int MaxPositions { get; init; }
    public double NormEps { get; init; } = 1e-5;
    public double RopeTheta { get; init; } = 10000;
    /// <summary>Llama 3.x "llama3" rope scaling; null for none.</summary>
    public RopeScaling? RopeScaling { get; init; }
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Biases on q/k/v projections (Qwen2); GPT-2 has biases everywhere regardless.</summary>
    public bool AttentionBias { get; init; }
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    public int HeadDim => HiddenSize / NumHeads;
    public int KvHeads => NumKvHeads > 0 ? NumKvHeads : NumHeads;

    /// <summary>The Hugging Face architecture name written to config.json.</summary>
    public string HfArchitecture => Family switch
    {
        ModelFamily.Llama => "LlamaForCausalLM",
        ModelFamily.Qwen2 => "Qwen2ForCausalLM",
        _ => "GPT2LMHeadModel",
    };

    public ModelConfig Validate()
    {
        void Require(bool ok, string what) { if (!ok) throw new ArgumentException($"model config: {what}"); }
        Require(VocabSize > 0, $"vocab_size must be positive (got {VocabSize})");
        Require(HiddenSize > 0 && NumHeads > 0 && HiddenSize % NumHeads == 0, $"hidden_size {HiddenSize} must be a positive multiple of num_attention_heads {NumHeads}");
        Require(KvHeads > 0 && NumHeads % KvHeads == 0, $"num_attention_heads {NumHeads} must be a multiple of num_key_value_heads {KvHeads}");
        Require(HeadDim % 2 == 0 || Family == ModelFamily.Gpt2, $"head dimension {HeadDim} must be even for rotary embeddings");
        Require(NumLayers > 0, $"num_hidden_layers must be positive (got {NumLayers})");
        Require(IntermediateSize > 0, $"intermediate_size must be positive (got {IntermediateSize})");
        Require(MaxPositions > 0, $"max_position_embeddings must be positive (got {MaxPositions})");
        return this;
    }
}

/// <summary>Llama 3.1-style frequency-dependent rope scaling.</summary>
public sealed record RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositions);
