using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>
/// Keys and values of every layer for one sequence batch, preallocated to a fixed capacity so that decoding
/// writes in place instead of concatenating a growing tensor each step.
/// </summary>
public sealed class KvCache : IKvCache, IDisposable
{
    private readonly Tensor[] keys;
    private readonly Tensor[] values;

    public KvCache(int layers, long batch, long kvHeads, long capacity, long headDim, ScalarType dtype, Device device)
    {
        keys = new Tensor[layers];
        values = new Tensor[layers];
        for (int i = 0; i < layers; i++)
        {
            keys[i] = zeros([batch, kvHeads, capacity, headDim], dtype, device);
            values[i] = zeros([batch, kvHeads, capacity, headDim], dtype, device);
        }
        Capacity = capacity;
    }

    /// <summary>Tokens already cached; the next forward pass starts at this position.</summary>
    public long Length { get; private set; }
    public long Capacity { get; }
    public Tensor? RowPositions => null;

    /// <summary>Writes this step's k/v [batch, kvHeads, tokens, headDim] after the cached ones; returns views of everything cached so far.</summary>
    public (Tensor Keys, Tensor Values, Tensor? Mask) Append(int layer, Tensor k, Tensor v)
    {
        long tokens = k.shape[2];
        if (Length + tokens > Capacity) throw new InvalidOperationException($"KV cache holds {Capacity} tokens; {Length + tokens} requested");
        keys[layer].narrow(2, Length, tokens).copy_(k);
        values[layer].narrow(2, Length, tokens).copy_(v);
        return (keys[layer].narrow(2, 0, Length + tokens), values[layer].narrow(2, 0, Length + tokens), null);
    }

    /// <summary>Called by the model once all layers have appended a step.</summary>
    public void Advance(long tokens) => Length += tokens;

    /// <summary>Forgets everything after the first <paramref name="length"/> tokens (e.g. to reuse a shared prompt prefix).</summary>
    public void Truncate(long length) => Length = Math.Clamp(length, 0, Length);

    public void Dispose()
    {
        foreach (var t in keys.Concat(values)) t.Dispose();
    }
}
