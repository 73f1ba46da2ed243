using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>
/// Keys and values of many sequences, one slot each, in one tensor per layer [slots, kvHeads, capacity, headDim],
/// so that a decode step over the rows 0..n-1 reads every sequence's cache without gathering or copying. Slots and
/// capacity grow on demand (doubling) and are freed by <see cref="Clear"/>; each slot keeps its own length.
/// </summary>
public sealed class SlotKvCache(ModelConfig config, ScalarType dtype, Device device) : IDisposable
{
    private Tensor[] keys = [];
    private Tensor[] values = [];
    private long[] lengths = [];

    public int Slots => lengths.Length;
    public long Capacity => keys.Length == 0 ? 0 : keys[0].shape[2];
    public long LengthOf(int slot) => lengths[slot];

    /// <summary>Makes room for at least <paramref name="slots"/> slots of <paramref name="tokens"/> tokens, keeping what is cached.</summary>
    public void Reserve(int slots, long tokens)
    {
        if (slots <= Slots && tokens <= Capacity) return;
        int newSlots = slots <= Slots ? Slots : Math.Max(slots, Slots * 2);
        long newCapacity = tokens <= Capacity ? Capacity : Math.Min(Math.Max(tokens, Capacity * 2), config.MaxPositions);
        if (tokens > newCapacity) throw new ArgumentException($"{tokens} tokens do not fit the model's context of {config.MaxPositions}");
        Grow(ref keys, newSlots, newCapacity);
        Grow(ref values, newSlots, newCapacity);
        Array.Resize(ref lengths, newSlots);
    }

    private void Grow(ref Tensor[] layers, int slots, long capacity)
    {
        var grown = new Tensor[config.NumLayers];
        for (int layer = 0; layer < grown.Length; layer++)
        {
            // Owned here, not by whatever dispose scope the caller has open.
            grown[layer] = zeros([slots, config.KvHeads, capacity, config.HeadDim], dtype, device).DetachFromDisposeScope();
            if (layers.Length == 0) continue;
            var old = layers[layer];
            grown[layer].narrow(0, 0, old.shape[0]).narrow(2, 0, old.shape[2]).copy_(old);
            old.Dispose();
        }
        layers = grown;
    }

    /// <summary>Empties a slot for a new sequence.</summary>
    public void Reset(int slot) => lengths[slot] = 0;

    /// <summary>Forgets what a slot cached past <paramref name="length"/> tokens (the padding of a batched prefill).</summary>
    public void Truncate(int slot, long length) => lengths[slot] = Math.Min(lengths[slot], length);

    /// <summary>Moves a sequence from one slot to another (to keep the running rows 0..n-1 without gaps).</summary>
    public void Move(int from, int to)
    {
        using var scope = NewDisposeScope();
        long length = lengths[from];
        foreach (var layer in keys.Concat(values))
            layer[to].narrow(1, 0, length).copy_(layer[from].narrow(1, 0, length));
        lengths[to] = length;
        lengths[from] = 0;
    }

    /// <summary>Frees the tensors: nothing is running.</summary>
    public void Clear()
    {
        Dispose();
        keys = values = [];
        lengths = [];
    }

    /// <summary>A view that appends the same number of tokens to each of the slots first..first+count-1, which hold equal lengths: a prefill.</summary>
    public IKvCache PrefillSlots(int first, int count) => new SlotsView(this, first, count);

    /// <summary>A view that appends one token to each of the slots 0..rows-1, each at its own length: a decode step.</summary>
    public IKvCache Rows(int rows) => new RowsView(this, rows);

    public void Dispose()
    {
        foreach (var t in keys.Concat(values)) t.Dispose();
    }

    private sealed class SlotsView : IKvCache
    {
        private readonly SlotKvCache owner;
        private readonly int first, count;

        public SlotsView(SlotKvCache owner, int first, int count)
        {
            if (owner.lengths.AsSpan(first, count).ContainsAnyExcept(owner.lengths[first]))
                throw new InvalidOperationException("slots prefilled together must hold the same number of tokens");
            (this.owner, this.first, this.count) = (owner, first, count);
        }

        public long Length => owner.lengths[first];
        public Tensor? RowPositions => null;

        public (Tensor Keys, Tensor Values, Tensor? Mask) Append(int layer, Tensor k, Tensor v)
        {
            long tokens = k.shape[2], total = Length + tokens;
            if (total > owner.Capacity) throw new InvalidOperationException($"slot holds {owner.Capacity} tokens; {total} requested");
            var slotKeys = owner.keys[layer].narrow(0, first, count);
            var slotValues = owner.values[layer].narrow(0, first, count);
            slotKeys.narrow(2, Length, tokens).copy_(k);
            slotValues.narrow(2, Length, tokens).copy_(v);
            return (slotKeys.narrow(2, 0, total), slotValues.narrow(2, 0, total), null);
        }

        public void Advance(long tokens)
        {
            for (int slot = first; slot < first + count; slot++) owner.lengths[slot] += tokens;
        }
    }

    private sealed class RowsView : IKvCache
    {
        private readonly SlotKvCache owner;
        private readonly int rows;
        private readonly long total;
        private readonly Tensor? mask;

        public RowsView(SlotKvCache owner, int rows)
        {
            this.owner = owner;
            this.rows = rows;
            var lengths = owner.lengths.AsSpan(0, rows).ToArray();
            total = lengths.Max() + 1;
            if (total > owner.Capacity) throw new InvalidOperationException($"slots hold {owner.Capacity} tokens; {total} requested");
            RowPositions = tensor(lengths, device: owner.keys[0].device);
            // Rows of equal length see everything: no mask, exactly the single-sequence computation.
            if (lengths.Any(l => l + 1 != total))
                mask = TorchScalars.Range(0, total, RowPositions.device).unsqueeze(0).le(RowPositions.unsqueeze(1)).view(rows, 1, 1, total);
        }

        public long Length => throw new InvalidOperationException("rows of a decode step have their own positions; read RowPositions");
        public Tensor? RowPositions { get; }

        public (Tensor Keys, Tensor Values, Tensor? Mask) Append(int layer, Tensor k, Tensor v)
        {
            var index = RowPositions!.view(rows, 1, 1, 1).expand(rows, k.shape[1], 1, k.shape[3]);
            var rowKeys = owner.keys[layer].narrow(0, 0, rows);
            var rowValues = owner.values[layer].narrow(0, 0, rows);
            rowKeys.scatter_(2, index, k);
            rowValues.scatter_(2, index, v);
            return (rowKeys.narrow(2, 0, total), rowValues.narrow(2, 0, total), mask);
        }

        public void Advance(long tokens)
        {
            for (int row = 0; row < rows; row++) owner.lengths[row] += tokens;
        }
    }
}
