using System.Text.Json;
using System.Text.Json.Nodes;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Adapters;

/// <summary>Bakes adapters into a standalone Hugging Face model folder, for tools that cannot apply LoRA themselves.</summary>
public static class AdapterMerger
{
    /// <summary>
    /// Writes a complete HF model folder (atomically, like <see cref="HfModelWriter"/>) whose projection weights are
    /// W + Σ weight · scale · (B @ A), DoRA adapters rescaling rows as they merge. The in-memory base model is not changed.
    /// </summary>
    public static void WriteMerged(LoadedModel baseModel, IReadOnlyList<(LoraAdapter Adapter, double Weight)> adapters, string outputDir)
    {
        using var noGrad = no_grad();
        var transform = Transform(baseModel, adapters);
        AtomicFolder.Write(outputDir, ExistingFolder.Refuse, staging =>
        {
            HfModelWriter.WriteInto(baseModel, staging, transform);
            WriteRecord(staging, baseModel, adapters);
        });
    }

    /// <summary>What a merged model was made of, beside it, so runs trained on it later record their lineage.</summary>
    public const string RecordFileName = "merged_adapters.json";

    /// <summary>Writes <see cref="RecordFileName"/> (the base, and each adapter with its weight) into a merged model's folder; nothing when none was merged.</summary>
    public static void WriteRecord(string folder, LoadedModel baseModel, IReadOnlyList<(LoraAdapter Adapter, double Weight)> adapters)
    {
        if (adapters.Count == 0) return;
        var record = new JsonObject
        {
            ["base_model"] = baseModel.Source.Name, ["base_model_path"] = baseModel.Source.Path,
            ["adapters"] = new JsonArray([.. adapters.Select(a => (JsonNode)new JsonObject
            {
                ["name"] = a.Adapter.Name, ["weight"] = a.Weight, ["rank"] = a.Adapter.Config.Rank, ["use_dora"] = a.Adapter.Config.UseDora,
            })]),
        };
        AtomicFile.WriteAllText(Path.Combine(folder, RecordFileName), record.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The merge record of a model folder (or of a .gguf's folder), or null when it was not merged here or the record is unreadable.</summary>
    public static JsonObject? ReadRecord(string modelPath)
    {
        var folder = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(modelPath);
        var path = folder is null ? null : Path.Combine(folder, RecordFileName);
        if (path is null || !File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject; }
        catch (JsonException) { return null; }
    }

    /// <summary>
    /// The weight transform a model writer applies to bake <paramref name="adapters"/> in (HF folder or GGUF); checks
    /// first that every adapter fits the model. Call it, and the writer, under no_grad.
    /// </summary>
    public static Func<string, Tensor, Tensor> Transform(LoadedModel baseModel, IReadOnlyList<(LoraAdapter Adapter, double Weight)> adapters)
    {
        var projections = baseModel.Model.Projections().ToDictionary(p => p.Path, p => p.Linear);
        foreach (var (adapter, weight) in adapters)
        {
            if (!double.IsFinite(weight)) throw new ArgumentException($"adapter '{adapter.Name}' weight must be a finite number (got {weight})");
            adapter.EnsureFits(projections);
        }
        return (name, tensor) => Merged(name, tensor, adapters);
    }

    /// <summary>The weight with every adapter's delta added, summed in fp32 so a bf16 base is rounded only once.</summary>
    private static Tensor Merged(string name, Tensor weight, IReadOnlyList<(LoraAdapter Adapter, double Weight)> adapters)
    {
        const string suffix = ".weight";
        if (!name.EndsWith(suffix, StringComparison.Ordinal)) return weight;
        var path = name[..^suffix.Length];
        var deltas = adapters.Where(a => a.Adapter.Weights.ContainsKey(path)).ToList();
        if (deltas.Count == 0) return weight;
        var merged = weight.to(ScalarType.Float32, copy: true);
        foreach (var (adapter, factor) in deltas)
        {
            var (a, b) = adapter.Weights[path];
            // DoRA rescales each row of the weight it is merged into (PEFT merges adapters one after another too).
            if (adapter.Magnitudes.TryGetValue(path, out var magnitude))
            {
                merged = DoraMath.Merged(merged, a, b, factor * adapter.Scale, magnitude);
                continue;
            }
            // An explicit Scalar: TorchSharp's implicit ones can be freed by the finalizer during the native call.
            using var alpha = TorchSharp.ScalarExtensionMethods.ToScalar(factor * adapter.Scale);
            merged.add_(b.to(ScalarType.Float32).matmul(a.to(ScalarType.Float32)), alpha: alpha);
        }
        return merged.to(weight.dtype);
    }
}
