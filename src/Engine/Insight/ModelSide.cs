using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Insight;

/// <summary>
/// One side of a before/after comparison: a model with these adapters active (none for the base, or for a fully
/// fine-tuned model loaded beside it). Measurements run on the calling torch thread with the adapters activated
/// for the duration only.
/// </summary>
public sealed record ModelSide(LoadedModel Loaded, IReadOnlyList<(LoraAdapter Adapter, double Weight)> Adapters)
{
    public static ModelSide Plain(LoadedModel loaded) => new(loaded, []);

    public T Measure<T>(Func<LoadedModel, T> measure)
    {
        using var stack = new AdapterStack(Loaded.Model);
        stack.Activate(Adapters);
        try { return measure(Loaded); }
        finally { stack.Activate([]); }
    }
}
