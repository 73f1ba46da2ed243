using System.Runtime.InteropServices;
using TorchSharp;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Generation;

/// <summary>
/// Continuous batching on one torch thread: <see cref="Admit"/> prefills a sequence into its own cache slot, and
/// each <see cref="Step"/> is one forward pass over every running sequence, one token each, every row at its own
/// position and with its own adapters. A finished sequence leaves at once and the last row takes its slot, so the
/// running rows are always the slots 0..n-1. Synchronous: callers must not await between calls.
/// </summary>
public sealed class BatchDecoder : IDisposable
{
    private readonly LoadedModel model;
    private readonly SlotKvCache cache;
    private readonly AdapterStack? adapters;
    private readonly List<GenerationSequence> running = [];
    private bool rowsChanged = true;

    /// <param name="manageAdapters">
    /// Whether each sequence's own adapter set is applied; false leaves the calling thread's active adapters alone
    /// (a trainer sampling from the adapter it trains).
    /// </param>
    public BatchDecoder(LoadedModel model, bool manageAdapters)
    {
        this.model = model;
        cache = new SlotKvCache(model.Config, model.Model.DType, model.Model.Device);
        adapters = manageAdapters ? new AdapterStack(model.Model) : null;
    }

    public int Running => running.Count;

    /// <summary>Runs the prompt, picks the first token; a sequence not done by then joins the next step.</summary>
    public void Admit(GenerationSequence sequence) => Admit([sequence]);

    /// <summary>
    /// Prefills several prompts in one forward pass, right-padded to the longest, each into its own slot; each picks
    /// its first token and, if not done by then, joins the next step. On a CPU one pass over many prompt tokens is
    /// much faster than many passes over few (matrix products over more rows), and the padding is never attended to:
    /// attention is causal, and each slot is cut back to its own prompt afterwards.
    /// </summary>
    public void Admit(IReadOnlyList<GenerationSequence> group)
    {
        if (group.Count == 0) return;
        int first = running.Count, longest = group.Max(s => s.PromptIds.Count);
        using var inference = torch.inference_mode();
        using var scope = NewDisposeScope();
        // Room for the whole sequences now, so decode steps never grow the cache (a step's view checks the bound).
        cache.Reserve(first + group.Count, Math.Max(longest, group.Max(s => s.MaxLength)));
        for (int i = 0; i < group.Count; i++) cache.Reset(first + i);
        if (adapters is not null)
        {
            adapters.ActivatePerRow([.. group.Select(s => s.Adapters ?? [])], model.Model.Device);
            rowsChanged = true;
        }
        var ids = new long[group.Count * longest];
        for (int i = 0; i < group.Count; i++)
            for (int t = 0; t < group[i].PromptIds.Count; t++) ids[i * longest + t] = group[i].PromptIds[t];
        foreach (var sequence in group) sequence.Start();
        var input = tensor(ids, [group.Count, longest], device: model.Model.Device);
        var logits = Rows(model.Model.Forward(input, cache.PrefillSlots(first, group.Count), [.. group.Select(s => (long)s.PromptIds.Count - 1)]));
        for (int i = 0; i < group.Count; i++)
        {
            int slot = first + i;
            cache.Truncate(slot, group[i].PromptIds.Count);
            if (group[i].Accept(logits[i], cache.LengthOf(slot))) continue;
            // Sequences done at their first token leave no gap: the rows stay 0..n-1.
            if (running.Count != slot) cache.Move(slot, running.Count);
            running.Add(group[i]);
        }
    }

    /// <summary>One token for every running sequence; cancelled ones end first, finished ones leave.</summary>
    public void Step()
    {
        // Also around the removals: moving a slot updates the cache's inference tensors in place.
        using var inference = torch.inference_mode();
        for (int row = running.Count - 1; row >= 0; row--)
            if (running[row].IsCancellationRequested && running[row].Finish(FinishReason.Cancelled)) Remove(row);
        if (running.Count == 0) { Idle(); return; }

        using var scope = NewDisposeScope();
        if (adapters is not null && rowsChanged)
        {
            adapters.ActivatePerRow([.. running.Select(s => s.Adapters ?? [])], model.Model.Device);
            rowsChanged = false;
        }
        var input = tensor(running.Select(s => (long)s.LastToken).ToArray(), [running.Count, 1], device: model.Model.Device);
        var logits = Rows(model.Model.Forward(input, cache.Rows(running.Count)));
        var done = new List<int>();
        for (int row = 0; row < running.Count; row++)
            if (running[row].Accept(logits[row], cache.LengthOf(row))) done.Add(row);
        for (int i = done.Count - 1; i >= 0; i--) Remove(done[i]);
        if (running.Count == 0) Idle();
    }

    /// <summary>Ends every running sequence with this reason (the model is going away, or a step failed).</summary>
    public void FinishAll(FinishReason reason)
    {
        foreach (var sequence in running) sequence.Finish(reason);
        running.Clear();
        Idle();
    }

    // The last row moves into the freed slot, so rows stay 0..n-1 and a step never reads an empty slot.
    private void Remove(int row)
    {
        int last = running.Count - 1;
        if (row != last)
        {
            cache.Move(last, row);
            running[row] = running[last];
        }
        running.RemoveAt(last);
        rowsChanged = true;
    }

    // With nothing running the cache's memory goes back, and the branches of finished sequences are dropped.
    private void Idle()
    {
        cache.Clear();
        adapters?.Activate([]);
        rowsChanged = true;
    }

    // Straight from the tensor's memory: an element-wise accessor copy costs ~1 ms per row of a 49k vocabulary.
    private static float[][] Rows(Tensor logits)
    {
        int rows = (int)logits.shape[0], vocab = (int)logits.shape[^1];
        var host = logits.reshape(rows, vocab).to(ScalarType.Float32).cpu().contiguous();
        var all = MemoryMarshal.Cast<byte, float>(host.bytes);
        var result = new float[rows][];
        for (int r = 0; r < rows; r++) result[r] = all.Slice(r * vocab, vocab).ToArray();
        return result;
    }

    public void Dispose()
    {
        FinishAll(FinishReason.Cancelled);
        adapters?.Dispose();
        cache.Dispose();
    }
}
