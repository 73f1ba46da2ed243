namespace WebUI.Engine.Adapters;

/// <summary>How to shape a new LoRA adapter, in PEFT's terms. Immutable; <see cref="Validate"/> rejects nonsense.</summary>
public sealed record LoraOptions
{
    public const int MaxRank = 2048;

    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 16;
    public double Dropout { get; init; } = 0.05;
    /// <summary>
    /// Leaf module names as in PEFT's target_modules (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj;
    /// GPT-2: c_attn, c_proj, c_fc). Null (or "all-linear") means every linear layer except the output head.
    /// </summary>
    public IReadOnlyList<string>? TargetModules { get; init; }
    /// <summary>Rank-stabilised LoRA (PEFT's use_rslora): the update is scaled by alpha / √rank instead of alpha / rank, so higher ranks keep learning.</summary>
    public bool UseRsLora { get; init; }
    /// <summary>
    /// DoRA (PEFT's use_dora): each target's weight is split into a trained magnitude per output row and a direction
    /// that the low-rank update moves, which tracks full fine-tuning more closely at the same rank.
    /// </summary>
    public bool UseDora { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public LoraOptions Validate()
    {
        if (Rank is < 1 or > MaxRank) throw new ArgumentException($"LoRA rank must be between 1 and {MaxRank} (got {Rank})");
        if (!(Alpha > 0) || double.IsInfinity(Alpha)) throw new ArgumentException($"LoRA alpha must be positive (got {Alpha})");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"LoRA dropout must be in [0, 1) (got {Dropout})");
        if (TargetModules is { Count: 0 }) throw new ArgumentException("LoRA target modules must name at least one module, or be unset for all linear layers");
        if (TargetModules?.Any(string.IsNullOrWhiteSpace) == true) throw new ArgumentException("LoRA target modules must not contain empty names");
        return this;
    }
}
