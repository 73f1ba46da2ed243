using WebUI.Engine.Modeling;

namespace WebUI.Engine.Loading;

/// <summary>
/// The one place where weight names and layouts that differ from the engine's module tree are mapped.
/// The module tree already uses Hugging Face's names, so this covers only the exceptions.
/// </summary>
public static class HfWeightNames
{
    /// <summary>GPT-2 stores these projections as Conv1D, i.e. [in, out]; the engine keeps [out, in].</summary>
    public static bool IsTransposedConv1D(string name) =>
        name.StartsWith("transformer.h.", StringComparison.Ordinal) &&
        (name.EndsWith(".attn.c_attn.weight") || name.EndsWith(".attn.c_proj.weight") ||
         name.EndsWith(".mlp.c_fc.weight") || name.EndsWith(".mlp.c_proj.weight"));

    /// <summary>Names a file may use for one of the engine's weights: the original GPT-2 checkpoints drop "transformer.".</summary>
    public static IEnumerable<string> FileNamesFor(string name)
    {
        yield return name;
        if (name.StartsWith("transformer.", StringComparison.Ordinal)) yield return name["transformer.".Length..];
    }

    /// <summary>
    /// llama2.c's tensors in file order, as (HF name pattern with {0} for the layer, rows, columns, per layer).
    /// q/k rows are stored with interleaved rotary pairs; <see cref="Llama2cCheckpoint"/> permutes them.
    /// </summary>
    public static IReadOnlyList<(string Name, bool PerLayer)> Llama2cOrder { get; } =
    [
        ("model.embed_tokens.weight", false),
        ("model.layers.{0}.input_layernorm.weight", true),
        ("model.layers.{0}.self_attn.q_proj.weight", true),
        ("model.layers.{0}.self_attn.k_proj.weight", true),
        ("model.layers.{0}.self_attn.v_proj.weight", true),
        ("model.layers.{0}.self_attn.o_proj.weight", true),
        ("model.layers.{0}.post_attention_layernorm.weight", true),
        ("model.layers.{0}.mlp.gate_proj.weight", true),
        ("model.layers.{0}.mlp.down_proj.weight", true),
        ("model.layers.{0}.mlp.up_proj.weight", true),
        ("model.norm.weight", false),
    ];

    /// <summary>
    /// llama.cpp's GGUF name of one of the engine's weights (token_embd.weight, blk.3.attn_q.weight, ...), as its own
    /// converter names them; null for a weight GGUF does not store.
    /// </summary>
    public static string? GgufName(string name)
    {
        if (GgufGlobals.TryGetValue(name, out var global)) return global;
        var (prefix, rest) = name.StartsWith("model.layers.", StringComparison.Ordinal) ? ("model.layers.", name["model.layers.".Length..])
            : name.StartsWith("transformer.h.", StringComparison.Ordinal) ? ("transformer.h.", name["transformer.h.".Length..]) : (null, "");
        if (prefix is null) return null;
        var dot = rest.IndexOf('.');
        var (layer, module) = (rest[..dot], rest[(dot + 1)..]);
        var suffixAt = module.LastIndexOf('.');
        return GgufLayerModules.TryGetValue(module[..suffixAt], out var gguf) ? $"blk.{layer}.{gguf}{module[suffixAt..]}" : null;
    }

    private static readonly Dictionary<string, string> GgufGlobals = new()
    {
        ["model.embed_tokens.weight"] = "token_embd.weight", ["model.norm.weight"] = "output_norm.weight", ["lm_head.weight"] = "output.weight",
        ["transformer.wte.weight"] = "token_embd.weight", ["transformer.wpe.weight"] = "position_embd.weight",
        ["transformer.ln_f.weight"] = "output_norm.weight", ["transformer.ln_f.bias"] = "output_norm.bias",
    };

    private static readonly Dictionary<string, string> GgufLayerModules = new()
    {
        ["input_layernorm"] = "attn_norm", ["self_attn.q_proj"] = "attn_q", ["self_attn.k_proj"] = "attn_k", ["self_attn.v_proj"] = "attn_v",
        ["self_attn.o_proj"] = "attn_output", ["post_attention_layernorm"] = "ffn_norm", ["mlp.gate_proj"] = "ffn_gate",
        ["mlp.up_proj"] = "ffn_up", ["mlp.down_proj"] = "ffn_down",
        ["ln_1"] = "attn_norm", ["attn.c_attn"] = "attn_qkv", ["attn.c_proj"] = "attn_output", ["ln_2"] = "ffn_norm",
        ["mlp.c_fc"] = "ffn_up", ["mlp.c_proj"] = "ffn_down",
    };

    /// <summary>
    /// Whether a weight's rows are q or k heads that llama.cpp keeps with interleaved rotary pairs (llama2.c and Meta's
    /// layout) where HF Llama uses rotate-half; returns the head count to permute by. Qwen2 and GPT-2 are not permuted.
    /// </summary>
    public static int? InterleavedRotaryHeads(string name, ModelConfig config) =>
        config.Family != ModelFamily.Llama ? null
        : name.Contains(".self_attn.q_proj.") ? config.NumHeads
        : name.Contains(".self_attn.k_proj.") ? config.KvHeads : null;
}
