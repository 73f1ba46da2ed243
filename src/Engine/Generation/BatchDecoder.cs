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
    public void Admit(GenerationSequence sequence)
    {
        int slot = running.Count;
        using var inference = torch.inference_mode();
        using var scope = NewDisposeScope();
        // Room for the whole sequence now, so decode steps never grow the cache (a step's view checks the bound).
        cache.Reserve(slot + 1, sequence.MaxLength);
        cache.Reset(slot);
        if (adapters is not null)
        {
            adapters.Activate(sequence.Adapters ?? []);
            rowsChanged = true;
        }
        sequence.Start();
        var input = tensor(sequence.PromptIds.Select(i => (long)i).ToArray(), [1, sequence.PromptIds.Count], device: model.Model.Device);
        var logits = model.Model.Forward(input, cache.Slot(slot), lastTokenOnly: true);
        if (!sequence.Accept(Rows(logits)[0], cache.LengthOf(slot))) running.Add(sequence);
    }

    /// <summary>One token for every running sequence; cancelled ones end first, finished ones leave.</summary>
    public void Step()
    {
        for (int row = running.Count - 1; row >= 0; row--)
            if (running[row].IsCancellationRequested && running[row].Finish(FinishReason.Cancelled)) Remove(row);
        if (running.Count == 0) { Idle(); return; }

        using var inference = torch.inference_mode();
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

    private static float[][] Rows(Tensor logits)
    {
        long rows = logits.shape[0], vocab = logits.shape[^1];
        var all = logits.reshape(rows, vocab).to(ScalarType.Float32).cpu().data<float>().ToArray();
        return [.. Enumerable.Range(0, (int)rows).Select(r => all.AsSpan(r * (int)vocab, (int)vocab).ToArray())];
    }

    public void Dispose()
    {
        FinishAll(FinishReason.Cancelled);
        adapters?.Dispose();
        cache.Dispose();
    }
}
