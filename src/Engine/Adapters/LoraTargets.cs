using WebUI.Engine.Modeling;

namespace WebUI.Engine.Adapters;

/// <summary>Which projections a new adapter attaches to, matched the way PEFT matches a target_modules list.</summary>
internal static class LoraTargets
{
    /// <summary>PEFT's name for "every linear layer except the output head".</summary>
    public const string AllLinear = "all-linear";
    private const string OutputHead = "lm_head";

    public static IReadOnlyList<(string Path, AdaptableLinear Linear)> Resolve(CausalLM model, IReadOnlyList<string>? targets)
    {
        var projections = model.Projections();
        if (targets is null || targets.SequenceEqual([AllLinear]))
            return [.. projections.Where(p => p.Path != OutputHead)];

        // PEFT matches a name against the whole module path or a dotted suffix of it, so "q_proj" and "self_attn.q_proj" both work.
        bool Matches(string path, string target) => path == target || path.EndsWith("." + target, StringComparison.Ordinal);
        var unknown = targets.Where(t => !projections.Any(p => Matches(p.Path, t))).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException(
                $"LoRA target modules not found in this {model.Config.Family} model: {string.Join(", ", unknown)}. " +
                $"Its linear layers are: {string.Join(", ", projections.Select(p => LeafName(p.Path)).Distinct())}");
        return [.. projections.Where(p => targets.Any(t => Matches(p.Path, t)))];
    }

    public static string LeafName(string path) => path[(path.LastIndexOf('.') + 1)..];

    /// <summary>The distinct leaf names of some module paths, in order: what target_modules says for them.</summary>
    public static IReadOnlyList<string> LeafNames(IEnumerable<string> paths) => [.. paths.Select(LeafName).Distinct()];
}
