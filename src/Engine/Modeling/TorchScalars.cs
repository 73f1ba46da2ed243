using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>
/// Scalars that live as long as the process. TorchSharp turns a C# number into a native Scalar that only the GC
/// frees, and does not keep it alive while libtorch reads it: the alpha of every tensor add and sub, the number in
/// x + 1e-5, arange's bounds. Under allocation pressure from other threads (a busy server) the finalizer can free one
/// mid-call, and the op fails with "Expected false to be true" from Scalar::toFloat. The forward passes take theirs
/// from here.
/// </summary>
public static class TorchScalars
{
    private static readonly ConcurrentDictionary<double, Scalar> numbers = new();

    /// <summary>The alpha of a plain add: a.add(b, One) is a + b.</summary>
    public static readonly Scalar One = 1L.ToScalar();

    /// <summary>A cached Scalar for a constant (an epsilon, an adapter's scale).</summary>
    public static Scalar Of(double value) => numbers.GetOrAdd(value, v => v.ToScalar());

    /// <summary>start, start+1, ..., stop-1 as int64, built from an array instead of arange's Scalars.</summary>
    public static Tensor Range(long start, long stop, Device device)
    {
        var values = new long[stop - start];
        for (long i = 0; i < values.Length; i++) values[i] = start + i;
        return tensor(values, device: device);
    }
}
