using WebUI.Engine.Adapters;

namespace WebUI.Engine.Studio;

/// <summary>
/// Adapters in loras/ and the default set (the Model tab's Apply): what new conversations and API requests naming
/// the base model use. Every request carries its own set, so changing the default never changes a running reply.
/// </summary>
public sealed partial class StudioEngine
{
    public IReadOnlyList<AdapterWeight> DefaultAdapters { get; private set; } = [];

    public IReadOnlyList<AdapterEntry> ListAdapters() => AdapterCatalog.List(Paths.Loras);

    /// <summary>The adapters in loras/ that fit the loaded model (checked from their files' headers, nothing read into memory).</summary>
    public Task<IReadOnlyList<AdapterEntry>> ListFittingAdaptersAsync(CancellationToken cancellationToken = default)
    {
        var model = loaded ?? throw NoModel();
        var candidates = ListAdapters().Where(a => a.Error is null).ToList();
        return inference.Run<IReadOnlyList<AdapterEntry>>(
            () => [.. candidates.Where(a => LoraAdapter.Misfit(Path.Combine(Paths.Loras, a.Name), model.Model) is null)], cancellationToken);
    }

    /// <summary>Makes exactly these adapters the default (an empty list: none), after reading them and checking that they fit.</summary>
    public async Task ApplyAdaptersAsync(IReadOnlyList<AdapterWeight> wanted, CancellationToken cancellationToken = default)
    {
        await modelGate.WaitAsync(cancellationToken);
        try
        {
            var model = loaded ?? throw NoModel();
            await inference.Run(() => adapterCache!.Acquire(wanted, model).Dispose(), cancellationToken);
            DefaultAdapters = [.. wanted];
        }
        finally
        {
            modelGate.Release();
            RaiseChanged();
        }
    }

    /// <summary>Merges the default adapters into the base weights and writes models/NAME; the loaded model is unchanged.</summary>
    public async Task<string> ExportMergedAsync(string name, CancellationToken cancellationToken = default)
    {
        var output = StudioPaths.Inside(Paths.Models, name);
        await modelGate.WaitAsync(cancellationToken);
        try
        {
            var model = loaded ?? throw NoModel();
            ThrowIfTrainingOwnsModel(); // half-trained weights are no model to export
            var adapters = DefaultAdapters;
            await inference.Run(() =>
            {
                using var lease = adapterCache!.Acquire(adapters, model);
                AdapterMerger.WriteMerged(model, lease.Adapters, output);
            }, cancellationToken);
            return output;
        }
        finally
        {
            modelGate.Release();
            RaiseChanged();
        }
    }
}
