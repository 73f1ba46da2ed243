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
        var active = new List<(LoraAdapter, double)>();
        foreach (var (name, weight) in Parse(spec))
        {
            var adapter = LoraAdapter.Load(FolderOf(name), model.Model);
            adapters.Add(adapter);
            active.Add((adapter, weight));
        }
        stack.Activate(active);
    }

    /// <summary>`NAME[:WEIGHT][,NAME2...]` as adapter names (or folder paths) with weights; null or blank: none.</summary>
    public static IReadOnlyList<AdapterWeight> Parse(string? spec) =>
        string.IsNullOrWhiteSpace(spec) ? [] : ModelId.ParseWeighted(spec, ',', "--lora", allowPaths: true);

    /// <summary>A folder path as given, else the named folder in loras/.</summary>
    public static string FolderOf(string name) =>
        Directory.Exists(name) ? name : StudioPaths.Inside(StudioPaths.ForCurrentDirectory().Loras, name);

    public static CliAdapters? Activate(LoadedModel model, string? spec) => string.IsNullOrWhiteSpace(spec) ? null : new CliAdapters(model, spec);

    public void Dispose()
    {
        stack.Activate([]);
        foreach (var a in adapters) a.Dispose();
    }
}
