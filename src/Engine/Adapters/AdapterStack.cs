using static TorchSharp.torch;
using WebUI.Engine.Modeling;

namespace WebUI.Engine.Adapters;

/// <summary>
/// Which adapters are active on one loaded base model. Switching stores new branch lists on the projections by
/// reference, so it is instant and never reloads or copies the base weights. Projections keep their branches per
/// thread (see <see cref="AdaptableLinear"/>), so activation applies to forward passes on the calling thread and a
/// stack belongs to one thread: the chat's worker, or the trainer's. <see cref="ActivatePerRow"/> gives each row
/// of a batch its own set, so sequences with different adapters decode in one forward pass.
/// </summary>
public sealed class AdapterStack : IDisposable
{
    private readonly IReadOnlyList<(string Path, AdaptableLinear Linear)> projections;
    private readonly IReadOnlyDictionary<string, AdaptableLinear> projectionsByPath;

    public AdapterStack(CausalLM model)
    {
        projections = model.Projections();
        projectionsByPath = projections.ToDictionary(p => p.Path, p => p.Linear);
    }

    public IReadOnlyList<(LoraAdapter Adapter, double Weight)> Active { get; private set; } = [];
    // Row indices of the per-row branches now stored on the projections; owned here until the next activation.
    private List<Tensor> rowIndices = [];

    /// <summary>
    /// Makes exactly these adapters active, each adding weight · scale · B(A(x)); ranks may differ. [] deactivates
    /// all. Everything is checked before any projection changes, so a rejected list leaves the previous one active.
    /// Adapters must stay undisposed while active.
    /// </summary>
    public void Activate(IReadOnlyList<(LoraAdapter Adapter, double Weight)> adapters)
    {
        Store([.. adapters.Select(a => (a.Adapter, a.Weight, (Tensor?)null))], [], check: true);
        Active = [.. adapters];
    }

    /// <summary>
    /// Gives row i of the next forward passes' batch the adapters <paramref name="rows"/>[i]. Rows sharing an
    /// (adapter, weight) pair share one branch, so each adapter's delta runs once, over its own rows only. Runs
    /// every decode step, so it does not re-check: each set must have passed <see cref="Activate"/> before.
    /// </summary>
    public void ActivatePerRow(IReadOnlyList<IReadOnlyList<(LoraAdapter Adapter, double Weight)>> rows, Device device)
    {
        if (rows.All(r => r.SequenceEqual(rows[0])))
        {
            var shared = rows.Count == 0 ? [] : rows[0];
            Store([.. shared.Select(a => (a.Adapter, a.Weight, (Tensor?)null))], [], check: false);
            Active = shared;
            return;
        }
        var groups = rows.SelectMany((set, row) => set.Select(a => (a.Adapter, a.Weight, Row: (long)row)))
            .GroupBy(a => (a.Adapter, a.Weight)).ToList();
        var indices = groups.Select(g => tensor(g.Select(a => a.Row).ToArray(), device: device).DetachFromDisposeScope()).ToList();
        Store([.. groups.Select((g, i) => (g.Key.Adapter, g.Key.Weight, (Tensor?)indices[i]))], indices, check: false);
        Active = [];
    }

    private void Store(IReadOnlyList<(LoraAdapter Adapter, double Weight, Tensor? Rows)> adapters, List<Tensor> ownedIndices, bool check)
    {
        try
        {
            foreach (var (adapter, weight, _) in check ? adapters : [])
            {
                if (!double.IsFinite(weight)) throw new ArgumentException($"adapter '{adapter.Name}' weight must be a finite number (got {weight})");
                adapter.EnsureFits(projectionsByPath);
            }
        }
        catch
        {
            foreach (var t in ownedIndices) t.Dispose();
            throw;
        }
        IReadOnlyList<LoraBranch> BranchesFor(string path) =>
        [
            .. from a in adapters
               where a.Adapter.Weights.ContainsKey(path)
               let weights = a.Adapter.Weights[path]
               let scale = a.Weight * a.Adapter.Scale
               select new LoraBranch(weights.A, weights.B, scale, a.Adapter.Config.Dropout, a.Rows, a.Adapter.Magnitudes.GetValueOrDefault(path),
                   a.Adapter.FrozenMagnitudeScale(path, projectionsByPath[path].Weight, scale)),
        ];
        // All lists are built before any is stored, so the switch itself is only reference assignments.
        var branches = projections.Select(p => BranchesFor(p.Path)).ToList();
        for (int i = 0; i < projections.Count; i++) projections[i].Linear.SetBranches(branches[i]);
        foreach (var t in rowIndices) t.Dispose();
        rowIndices = ownedIndices;
    }

    /// <summary>Deactivates everything on the calling thread and frees the row indices.</summary>
    public void Dispose() => Store([], [], check: false);
}
