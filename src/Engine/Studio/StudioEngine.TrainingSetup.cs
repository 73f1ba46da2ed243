using WebUI.Engine.Adapters;
using WebUI.Engine.Training;

namespace WebUI.Engine.Studio;

/// <summary>The loaded model's shape, as the Training tab needs it for target-module choices and its memory estimate.</summary>
public sealed record ModelShape(int HiddenSize, int Layers, int VocabSize, int ContextLength, IReadOnlyList<string> LinearModules,
    IReadOnlyList<LinearSize> Linears, long Parameters)
{
    /// <summary>A LoRA's trainable parameters: rank × (in + out) for every projection it adapts (null targets: all but the head).</summary>
    /// <param name="dora">DoRA adds a magnitude per output row of each target.</param>
    public long LoraParameters(int rank, IReadOnlyCollection<string>? targets, bool dora = false) =>
        LoraTargets(targets).Sum(l => (long)rank * (l.In + l.Out) + (dora ? l.Out : 0));

    /// <summary>The projections a LoRA with these target modules adapts (null: every linear layer but the head, as PEFT's all-linear).</summary>
    public IEnumerable<LinearSize> LoraTargets(IReadOnlyCollection<string>? targets) =>
        Linears.Where(l => targets is null ? l.Module != "lm_head" : targets.Contains(l.Module));
}

/// <summary>One projection's PEFT module name and its input and output sizes.</summary>
public sealed record LinearSize(string Module, long In, long Out);

/// <summary>What the Training tab asks before a run: the model's shape and a dataset file's kind.</summary>
public sealed partial class StudioEngine
{
    /// <summary>The loaded model's shape, or null when none is loaded; <see cref="ModelShape.LinearModules"/> are PEFT target names.</summary>
    public Task<ModelShape?> ModelShapeAsync(CancellationToken cancellationToken = default) =>
        inference.Run(() => loaded is { } m
            ? new ModelShape(m.Config.HiddenSize, m.Config.NumLayers, m.Config.VocabSize, m.Config.MaxPositions,
                LoraTargets.LeafNames(m.Model.Projections().Select(p => p.Path).Where(p => p != "lm_head")),
                [.. m.Model.Projections().Select(p => new LinearSize(LoraTargets.LeafName(p.Path), p.Linear.InFeatures, p.Linear.OutFeatures))],
                m.Model.ParameterCount())
            : null, cancellationToken);

    /// <summary>Raw text, formatted rows or chat, as training will read the dataset (a name in training/datasets or a path).</summary>
    public Task<DatasetKind> DetectDatasetKindAsync(string nameOrPath, CancellationToken cancellationToken = default) =>
        Task.Run(() => DatasetBuilder.Detect(Paths.Dataset(nameOrPath)), cancellationToken);
}
