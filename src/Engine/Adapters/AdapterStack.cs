using WebUI.Engine.Modeling;

namespace WebUI.Engine.Adapters;

/// <summary>
/// Which adapters are active on one loaded base model. Switching stores new branch lists on the projections by
/// reference, so it is instant and never reloads or copies the base weights. Projections keep their branches per
/// thread (see <see cref="AdaptableLinear"/>), so activation applies to forward passes on the calling thread and a
/// stack belongs to one thread: the chat's worker, or the trainer's.
/// </summary>
public sealed class AdapterStack
{
    private readonly IReadOnlyList<(string Path, AdaptableLinear Linear)> projections;
    private readonly IReadOnlyDictionary<string, AdaptableLinear> projectionsByPath;

    public AdapterStack(CausalLM model)
    {
        projections = model.Projections();
        projectionsByPath = projections.ToDictionary(p => p.Path, p => p.Linear);
    }

    public IReadOnlyList<(LoraAdapter Adapter, double Weight)> Active { get; private set; } = [];

    /// <summary>
    /// Makes exactly these adapters active, each adding weight · scale · B(A(x)); ranks may differ. [] deactivates
    /// all. Everything is checked before any projection changes, so a rejected list leaves the previous one active.
    /// Adapters must stay undisposed while active.
    /// </summary>
    public void Activate(IReadOnlyList<(LoraAdapter Adapter, double Weight)> adapters)
    {
        foreach (var (adapter, weight) in adapters)
        {
            if (!double.IsFinite(weight)) throw new ArgumentException($"adapter '{adapter.Name}' weight must be a finite number (got {weight})");
            adapter.EnsureFits(projectionsByPath);
        }
        IReadOnlyList<LoraBranch> BranchesFor(string path) =>
        [
            .. from a in adapters
               where a.Adapter.Weights.ContainsKey(path)
               let weights = a.Adapter.Weights[path]
               select new LoraBranch(weights.A, weights.B, a.Weight * a.Adapter.Scale, a.Adapter.Config.Dropout),
        ];
        // All lists are built before any is stored, so the switch itself is only reference assignments.
        var branches = projections.Select(p => BranchesFor(p.Path)).ToList();
        for (int i = 0; i < projections.Count; i++) projections[i].Linear.SetBranches(branches[i]);
        Active = [.. adapters];
    }
}
