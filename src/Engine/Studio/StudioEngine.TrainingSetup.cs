using WebUI.Engine.Adapters;
using WebUI.Engine.Training;

namespace WebUI.Engine.Studio;

/// <summary>The loaded model's shape, as the Training tab needs it for target-module choices and its memory estimate.</summary>
public sealed record ModelShape(int HiddenSize, int Layers, int VocabSize, int ContextLength, IReadOnlyList<string> LinearModules);

/// <summary>What the Training tab asks before a run: the model's shape and a dataset file's kind.</summary>
public sealed partial class StudioEngine
{
    /// <summary>The loaded model's shape, or null when none is loaded; <see cref="ModelShape.LinearModules"/> are PEFT target names.</summary>
    public Task<ModelShape?> ModelShapeAsync(CancellationToken cancellationToken = default) =>
        inference.Run(() => loaded is { } m
            ? new ModelShape(m.Config.HiddenSize, m.Config.NumLayers, m.Config.VocabSize, m.Config.MaxPositions,
                LoraTargets.LeafNames(m.Model.Projections().Select(p => p.Path).Where(p => p != "lm_head")))
            : null, cancellationToken);

    /// <summary>Raw text, formatted rows or chat, as training will read the dataset (a name in training/datasets or a path).</summary>
    public Task<DatasetKind> DetectDatasetKindAsync(string nameOrPath, CancellationToken cancellationToken = default) =>
        Task.Run(() => DatasetBuilder.Detect(Paths.Dataset(nameOrPath)), cancellationToken);
}
