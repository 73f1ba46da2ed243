using System.Globalization;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;

namespace WebUI.Cli;

/// <summary>`--lora NAME[:WEIGHT][,NAME2...]`: adapters from loras/ (or paths), active on the calling torch thread until disposed.</summary>
public sealed class CliAdapters : IDisposable
{
    private readonly List<LoraAdapter> adapters = [];
    private readonly AdapterStack stack;

    private CliAdapters(LoadedModel model, string spec)
    {
        stack = new AdapterStack(model.Model);
        var paths = StudioPaths.ForCurrentDirectory();
        var active = new List<(LoraAdapter, double)>();
        foreach (var item in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = item.LastIndexOf(':');
            double weight = 1;
            var name = item;
            if (colon > 0 && double.TryParse(item[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var w)) (name, weight) = (item[..colon], w);
            var folder = Directory.Exists(name) ? name : StudioPaths.Inside(paths.Loras, name);
            var adapter = LoraAdapter.Load(folder, model.Model);
            adapters.Add(adapter);
            active.Add((adapter, weight));
        }
        stack.Activate(active);
    }

    public static CliAdapters? Activate(LoadedModel model, string? spec) => string.IsNullOrWhiteSpace(spec) ? null : new CliAdapters(model, spec);

    public void Dispose()
    {
        stack.Activate([]);
        foreach (var a in adapters) a.Dispose();
    }
}
