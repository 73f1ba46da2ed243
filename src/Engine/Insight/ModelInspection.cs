using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Training;

namespace WebUI.Engine.Insight;

/// <summary>Perplexity of the base and of the result on one reference text: how much of what the model knew was kept.</summary>
public sealed record ForgettingReport(string Reference, double PerplexityBefore, double PerplexityAfter);

/// <summary>Everything `inspect` prints and the Changes view draws, for one tuned model against its base.</summary>
public sealed record InspectionReport(IReadOnlyList<UpdateNorm> UpdateNorms, ForgettingReport? Forgetting,
    IReadOnlyList<ProbeReport> Probes, NextTokenReport NextToken, ProbeMap? Map = null);

/// <summary>What to measure: probe texts, the prompt for the next-token shift, and an optional reference text (name and contents).</summary>
public sealed record InspectionOptions(IReadOnlyList<string> Probes, string Prompt, string? ReferenceName = null, string? ReferenceText = null)
{
    public const string DefaultPrompt = "Once upon a time, there was a little girl named";

    public InspectionOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(Prompt)) throw new ArgumentException("the prompt for the next-token shift is empty");
        if (Probes.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("a probe is empty");
        if (ReferenceText is not null && string.IsNullOrWhiteSpace(ReferenceText)) throw new ArgumentException($"the reference text '{ReferenceName}' is empty");
        return this;
    }
}

/// <summary>
/// Measures what a fine-tune changed inside the model: update sizes, forgetting on a reference text, representation
/// drift and neighbours of probe words, and the next-token shift for a prompt. Runs on the calling torch thread.
/// </summary>
public static class ModelInspection
{
    /// <summary>A LoRA: the base with and without the adapter active.</summary>
    public static InspectionReport OfAdapter(LoadedModel model, LoraAdapter adapter, InspectionOptions options) =>
        Run(ModelSide.Plain(model), new ModelSide(model, [(adapter, 1.0)]), UpdateNorms.OfAdapter(model.Model, adapter), options);

    /// <summary>A fully fine-tuned model against its base, both loaded.</summary>
    public static InspectionReport OfTuned(LoadedModel baseModel, LoadedModel tuned, InspectionOptions options)
    {
        if (tuned.Tokenizer.VocabSize != baseModel.Tokenizer.VocabSize)
            throw new ArgumentException($"the tuned model's vocabulary has {tuned.Tokenizer.VocabSize} tokens, the base's {baseModel.Tokenizer.VocabSize}: it is not a fine-tune of this base");
        return Run(ModelSide.Plain(baseModel), ModelSide.Plain(tuned), UpdateNorms.OfWeights(baseModel.Model, tuned.Model), options);
    }

    private static InspectionReport Run(ModelSide before, ModelSide after, IReadOnlyList<UpdateNorm> norms, InspectionOptions options)
    {
        options.Validate();
        ForgettingReport? forgetting = null;
        if (options.ReferenceText is { } text)
        {
            int context = Math.Min(512, before.Loaded.Config.MaxPositions);
            double Measure(ModelSide side) => side.Measure(m => Perplexity.Compute(m, text, context, context).Perplexity);
            forgetting = new ForgettingReport(options.ReferenceName ?? "reference", Measure(before), Measure(after));
        }
        var probes = options.Probes.Select(p => ProbeMeasures.Probe(before, after, p)).ToList();
        return new InspectionReport(norms, forgetting, probes, ProbeMeasures.NextToken(before, after, options.Prompt),
            ProbeMeasures.Map(before, after, options.Probes));
    }
}
