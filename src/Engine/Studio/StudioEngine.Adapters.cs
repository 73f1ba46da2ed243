using WebUI.Engine.Adapters;

namespace WebUI.Engine.Studio;

/// <summary>Adapters in loras/ and which of them are active on the loaded model (the inference thread's branches).</summary>
public sealed partial class StudioEngine
{
    private readonly Dictionary<string, LoraAdapter> adapters = [];
    private AdapterStack? stack;

    public IReadOnlyList<AdapterWeight> ActiveAdapters { get; private set; } = [];

    public IReadOnlyList<AdapterEntry> ListAdapters() => AdapterCatalog.List(Paths.Loras);

    /// <summary>Makes exactly these adapters active (an empty list: none). Adapters are read once and kept; switching never reloads the base.</summary>
    public async Task ApplyAdaptersAsync(IReadOnlyList<AdapterWeight> wanted, CancellationToken cancellationToken = default)
    {
        await modelGate.WaitAsync(cancellationToken);
        try
        {
            var model = loaded ?? throw new InvalidOperationException("no model is loaded: load one on the Model tab first");
            await inference.Run(() =>
            {
                var chosen = wanted.Select(w => (Read(w.Name, model), w.Weight)).ToList();
                stack ??= new AdapterStack(model.Model);
                stack.Activate(chosen);
            }, cancellationToken);
            ActiveAdapters = [.. wanted];
        }
        finally
        {
            modelGate.Release();
            Changed?.Invoke();
        }
    }

    /// <summary>Merges the active adapters into the base weights and writes models/NAME; the loaded model is unchanged.</summary>
    public async Task<string> ExportMergedAsync(string name, CancellationToken cancellationToken = default)
    {
        var output = StudioPaths.Inside(Paths.Models, name);
        await modelGate.WaitAsync(cancellationToken);
        try
        {
            var model = loaded ?? throw new InvalidOperationException("no model is loaded: load one on the Model tab first");
            await inference.Run(() => AdapterMerger.WriteMerged(model, stack?.Active ?? [], output), cancellationToken);
            return output;
        }
        finally
        {
            modelGate.Release();
            Changed?.Invoke();
        }
    }

    // Adapters are read on first use; one re-written by training since is read again.
    private LoraAdapter Read(string name, Loading.LoadedModel model)
    {
        var folder = StudioPaths.Inside(Paths.Loras, name);
        var written = Directory.GetLastWriteTimeUtc(folder);
        if (adapters.TryGetValue(name, out var known) && adapterTimes.GetValueOrDefault(name) == written) return known;
        var adapter = LoraAdapter.Load(folder, model.Model);
        if (known is not null && stack?.Active.All(a => a.Adapter != known) != false) known.Dispose();
        adapters[name] = adapter;
        adapterTimes[name] = written;
        return adapter;
    }

    private readonly Dictionary<string, DateTime> adapterTimes = [];

    // Runs on the inference thread when the model is replaced: adapters belong to the old model's shapes.
    private void OnModelReplaced()
    {
        stack?.Activate([]);
        stack = null;
        foreach (var adapter in adapters.Values) adapter.Dispose();
        adapters.Clear();
        adapterTimes.Clear();
        ActiveAdapters = [];
    }
}
