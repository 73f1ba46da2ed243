namespace WebUI.Engine.Adapters;

/// <summary>
/// What a LoRA adapter's adapter_config.json says. <paramref name="TargetModules"/> are leaf module names;
/// <paramref name="UseRsLora"/> is PEFT's rank-stabilised LoRA, which changes only the scale; <paramref name="UseDora"/>
/// is DoRA, which adds a magnitude vector per target (see <see cref="Modeling.DoraMath"/>).
/// </summary>
public sealed record AdapterConfig(int Rank, double Alpha, double Dropout, IReadOnlyList<string> TargetModules, string? BaseModel,
    bool UseRsLora = false, bool UseDora = false)
{
    /// <summary>The factor on B·A: alpha / r, or alpha / √r with rank-stabilised LoRA.</summary>
    public double Scale => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;
}
