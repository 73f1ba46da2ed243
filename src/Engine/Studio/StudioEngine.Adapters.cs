using WebUI.Engine.Adapters;

namespace WebUI.Engine.Studio;

/// <summary>Adapters in loras/ and which of them are active on the loaded model (the inference thread's branches).</summary>
public sealed partial class StudioEngine
{
    // Adapters read so far, with the time their folder was written (one re-written by training is read again).
    private readonly Dictionary<string, (LoraAdapter Adapter, DateTime Written)> adapters = [];
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
                var superseded = new List<LoraAdapter>();
                var chosen = wanted.Select(w => (Read(w.Name, model, superseded), w.Weight)).ToList();
                stack ??= new AdapterStack(model.Model);
                stack.Activate(chosen);
                // Older reads of re-written adapters may have been active until the line above.
                foreach (var old in superseded) old.Dispose();
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

    private LoraAdapter Read(string name, Loading.LoadedModel model, List<LoraAdapter> superseded)
    {
        var folder = StudioPaths.Inside(Paths.Loras, name);
        var written = Directory.GetLastWriteTimeUtc(folder);
        if (adapters.TryGetValue(name, out var known))
        {
            if (known.Written == written) return known.Adapter;
            superseded.Add(known.Adapter);
        }
        var adapter = LoraAdapter.Load(folder, model.Model);
        adapters[name] = (adapter, written);
        return adapter;
    }

    // Runs on the inference thread when the model is replaced: adapters belong to the old model's shapes.
    private void OnModelReplaced()
    {
        stack?.Activate([]);
        stack = null;
        foreach (var (adapter, _) in adapters.Values) adapter.Dispose();
        adapters.Clear();
        ActiveAdapters = [];
    }
}
