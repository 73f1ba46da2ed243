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
}
