using WebUI.Engine.Adapters;
using WebUI.Engine.Insight;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Studio;

/// <summary>
/// What a run changed inside the loaded base model, for the Runs tab's Changes view. It runs on a worker of its own:
/// activating the run's adapter on the inference or training thread would change what their sequences decode with.
/// </summary>
public sealed partial class StudioEngine
{
    private readonly Lazy<TorchWorker> insightWorker = new(() => new TorchWorker("insight"));

    /// <summary>
    /// Inspects a finished run against the loaded model (its base): update norms, forgetting on the run's reference
    /// text (or the studio's), probe drift and neighbours (the given probes, or the words its dataset uses most unlike the reference),
    /// and the next-token shift after <paramref name="prompt"/>. The model stays loaded meanwhile.
    /// </summary>
    public async Task<InspectionReport> InspectRunAsync(RunEntry run, IReadOnlyList<string>? probes, string prompt, CancellationToken cancellationToken = default)
    {
        ThrowIfTrainingOwnsModel();
        var folder = OutputFolder(run);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"run '{run.Name}' has no output to inspect (stopped runs have only checkpoints)");
        var referenceFile = (run.Settings.GetValueOrDefault("reference_text.file") ?? DefaultReferenceText) is { } name ? Path.Combine(Paths.Datasets, name) : null;
        var reference = referenceFile is not null && File.Exists(referenceFile) ? await File.ReadAllTextAsync(referenceFile, cancellationToken) : null;
        var options = new InspectionOptions(probes is { Count: > 0 } ? probes : RunProbes.DefaultFor(folder, Paths.Datasets, reference), prompt,
            reference is null ? null : Path.GetFileName(referenceFile), reference).Validate();
        await modelGate.WaitAsync(cancellationToken);
        try
        {
            var model = loaded ?? throw NoModel();
            return await insightWorker.Value.Run(() =>
            {
                if (run.Method != "full")
                {
                    using var adapter = LoraAdapter.Load(folder, model.Model);
                    return ModelInspection.OfAdapter(model, adapter, options);
                }
                using var tuned = ModelLoader.Load(folder);
                return ModelInspection.OfTuned(model, tuned, options);
            }, cancellationToken);
        }
        finally
        {
            modelGate.Release();
        }
    }
}
