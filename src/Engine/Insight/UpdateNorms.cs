using System.Text.RegularExpressions;
using TorchSharp;
using WebUI.Engine.Adapters;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Insight;

/// <summary>
/// How much one weight moved: ‖ΔW‖ (Frobenius), ‖ΔW‖/‖W‖, and the effective rank of ΔW (the exponential of the
/// entropy of its normalised singular values, Roy and Vetterli 2007): at most r for a rank-r LoRA, near the full
/// dimension for an unconstrained update. <see cref="Layer"/> is null for weights outside the blocks (embeddings,
/// final norm, head); <see cref="EffectiveRank"/> is null for vectors (norms, biases), <see cref="Relative"/> for a weight that was zero.
/// </summary>
public sealed record UpdateNorm(int? Layer, string Module, double Norm, double? Relative, double? EffectiveRank);

public static partial class UpdateNorms
{
    /// <summary>ΔW = weight · scale · B·A for every projection the adapter adapts (for DoRA, the merged weight − W), in model order.</summary>
    public static IReadOnlyList<UpdateNorm> OfAdapter(CausalLM model, LoraAdapter adapter, double weight = 1)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var norms = new List<UpdateNorm>();
        foreach (var (path, linear) in model.Projections())
        {
            if (!adapter.Weights.TryGetValue(path, out var ab)) continue;
            var (a, b) = (ab.A.to(ScalarType.Float32), ab.B.to(ScalarType.Float32));
            double scale = weight * adapter.Scale;
            if (adapter.Magnitudes.TryGetValue(path, out var magnitude))
            {
                // DoRA also rescales rows, so ΔW is not B·A's rank: measured on the merged weight's difference.
                var changed = DoraMath.Merged(linear.Weight, a, b, scale, magnitude).add(linear.Weight.to(ScalarType.Float32), TorchScalars.Of(-1));
                norms.Add(Entry(path, changed, linear.Weight, linalg.svdvals(changed)));
                continue;
            }
            var delta = b.mm(a) * scale;
            // σ(B·A) = σ(R_B·R_Aᵀ) with B = Q_B·R_B and Aᵀ = Q_A·R_A: an r×r problem instead of out×in.
            var (_, rb) = linalg.qr(b);
            var (_, ra) = linalg.qr(a.t());
            var singular = linalg.svdvals(rb.mm(ra.t())) * Math.Abs(scale);
            norms.Add(Entry(path, delta, linear.Weight, singular));
        }
        return norms;
    }

    /// <summary>ΔW = W_after − W_before for every parameter of two models of the same shape (a full fine-tune and its base).</summary>
    public static IReadOnlyList<UpdateNorm> OfWeights(CausalLM before, CausalLM after)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tuned = after.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var norms = new List<UpdateNorm>();
        foreach (var (name, original) in before.named_parameters())
        {
            if (!tuned.TryGetValue(name, out var changed))
                throw new ArgumentException($"the tuned model has no weight '{name}': it is not a fine-tune of this base");
            if (!changed.shape.SequenceEqual(original.shape))
                throw new ArgumentException($"the tuned model's '{name}' is [{string.Join(", ", changed.shape)}], the base's [{string.Join(", ", original.shape)}]: it is not a fine-tune of this base");
            var delta = changed.to(ScalarType.Float32) - original.to(ScalarType.Float32);
            norms.Add(Entry(name.EndsWith(".weight") ? name[..^".weight".Length] : name, delta, original,
                delta.dim() == 2 ? linalg.svdvals(delta) : null));
        }
        return norms;
    }

    /// <summary>exp(−Σ pᵢ ln pᵢ) with pᵢ = σᵢ/Σσ; 0 for a zero update.</summary>
    public static double EffectiveRank(Tensor singularValues)
    {
        var values = singularValues.to(ScalarType.Float64).cpu().data<double>().ToArray();
        double total = values.Sum();
        if (total <= 0) return 0;
        double entropy = values.Where(v => v > 0).Sum(v => -(v / total) * Math.Log(v / total));
        return Math.Exp(entropy);
    }

    private static UpdateNorm Entry(string path, Tensor delta, Tensor original, Tensor? singular)
    {
        double norm = delta.norm().item<float>(), reference = original.to(ScalarType.Float32).norm().item<float>();
        var (layer, module) = Locate(path);
        return new UpdateNorm(layer, module, norm, reference > 0 ? norm / reference : null, singular is null ? null : EffectiveRank(singular));
    }

    /// <summary>"model.layers.3.self_attn.q_proj" → (3, "self_attn.q_proj"); GPT-2's "transformer.h.3.attn.c_attn" → (3, "attn.c_attn").</summary>
    public static (int? Layer, string Module) Locate(string path)
    {
        var match = LayerPath().Match(path);
        return match.Success ? (int.Parse(match.Groups[1].Value), match.Groups[2].Value) : (null, path);
    }

    [GeneratedRegex(@"(?:^|\.)(?:layers|h)\.(\d+)\.(.+)$")]
    private static partial Regex LayerPath();
}
