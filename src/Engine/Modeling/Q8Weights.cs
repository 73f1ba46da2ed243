using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>
/// A projection's weight [out, in] as int8 blocks of 32 with one float scale each (GGUF's Q8_0: d = amax / 127,
/// q = round(w / d)), for decoding, which reads every weight once per token and so runs at memory bandwidth: a
/// quarter of the fp32 bytes. The rows being multiplied are quantized the same way, as llama.cpp does, and each
/// block's product is an integer dot product (AVX-VNNI or AVX2, else plain loops). Owns native memory.
/// </summary>
public sealed unsafe class Q8Weights : IDisposable
{
    public const int Block = 32;
    private sbyte* _q;
    private float* _d;

    public int Rows { get; }
    public int Columns { get; }
    public long Bytes => (long)Rows * Columns + (long)Rows * (Columns / Block) * sizeof(float);

    private Q8Weights(int rows, int columns)
    {
        (Rows, Columns) = (rows, columns);
        _q = (sbyte*)NativeMemory.AlignedAlloc((nuint)((long)rows * columns), 64);
        _d = (float*)NativeMemory.AlignedAlloc((nuint)((long)rows * (columns / Block) * sizeof(float)), 64);
    }

    /// <summary>Whether a weight of this shape can be held: whole blocks per row.</summary>
    public static bool Fits(Tensor weight) => weight.dim() == 2 && weight.shape[1] % Block == 0;

    /// <summary>Quantizes a float weight [out, in] (any layout); the tensor is left as it is.</summary>
    public static Q8Weights Quantize(Tensor weight)
    {
        if (!Fits(weight)) throw new ArgumentException($"a weight [{string.Join(", ", weight.shape)}] has rows that are not whole blocks of {Block}");
        using var scope = NewDisposeScope();
        var rows = weight.to(ScalarType.Float32).cpu().contiguous();
        var q = new Q8Weights((int)weight.shape[0], (int)weight.shape[1]);
        var values = MemoryMarshal.Cast<byte, float>(rows.bytes);
        for (long block = 0; block < (long)q.Rows * q.Columns / Block; block++)
            QuantizeBlock(values.Slice((int)(block * Block), Block), q._q + block * Block, out q._d[block]);
        return q;
    }

    private static void QuantizeBlock(ReadOnlySpan<float> x, sbyte* q, out float d)
    {
        float amax = 0;
        foreach (var v in x) amax = MathF.Max(amax, MathF.Abs(v));
        d = amax / 127;
        float id = d != 0 ? 1 / d : 0;
        for (int j = 0; j < Block; j++) q[j] = (sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
    }

    /// <summary>Whether x [.., in] goes here: a decode step's few rows on the CPU, in fp32, with no gradient to carry (prefill and training stay fp32).</summary>
    public bool Applies(Tensor x) =>
        x.numel() / Columns is >= 1 and <= 16 && x.shape[^1] == Columns && x.device.type == TorchSharp.DeviceType.CPU &&
        x.dtype == ScalarType.Float32 && !x.requires_grad;

    /// <summary>x [.., in] · Wᵀ as a new tensor [.., out], on torch's thread count.</summary>
    public Tensor Multiply(Tensor x)
    {
        using var scope = NewDisposeScope();
        var input = x.reshape(-1, Columns).contiguous();
        int rows = (int)input.shape[0];
        var y = empty([rows, Rows], ScalarType.Float32);
        Multiply(MemoryMarshal.Cast<byte, float>(input.bytes), MemoryMarshal.Cast<byte, float>(y.bytes), rows, Math.Max(1, get_num_threads()));
        return y.view([.. x.shape[..^1], Rows]).MoveToOuterDisposeScope();
    }

    /// <summary>y [rows, out] = x [rows, in] · Wᵀ, x quantized per block first; the work is split by output rows over <paramref name="threads"/>.</summary>
    public void Multiply(ReadOnlySpan<float> x, Span<float> y, int rows, int threads)
    {
        int blocks = Columns / Block;
        var xq = new sbyte[rows * Columns];
        var xd = new float[rows * blocks];
        fixed (sbyte* xqp = xq)
        fixed (float* xdp = xd)
        fixed (float* yp = y)
        {
            for (int b = 0; b < rows * blocks; b++) QuantizeBlock(x.Slice(b * Block, Block), xqp + b * Block, out xdp[b]);
            // Pointers as numbers, since the local function below cannot capture pointers.
            var (rowsQ, rowsD, output, weightsQ, weightsD, n) = ((nint)xqp, (nint)xdp, (nint)yp, (nint)_q, (nint)_d, Rows);
            void Part(int part)
            {
                int from = (int)((long)n * part / threads), to = (int)((long)n * (part + 1) / threads);
                for (int o = from; o < to; o++)
                {
                    sbyte* w = (sbyte*)weightsQ + (long)o * Columns;
                    float* dw = (float*)weightsD + (long)o * blocks;
                    if (rows == 1) { ((float*)output)[o] = Dot(w, dw, (sbyte*)rowsQ, (float*)rowsD, blocks); continue; }
                    // Several rows (a batched decode step): each weight block is loaded once for four of them.
                    for (int r = 0; r < rows; r += 4)
                        DotRows(w, dw, (sbyte*)rowsQ + (long)r * Columns, (float*)rowsD + (long)r * blocks, Math.Min(4, rows - r), blocks,
                            (float*)output + (long)r * n + o, n);
                }
            }
            if (threads <= 1) Part(0);
            else Parallel.For(0, threads, Part);
        }
    }

    /// <summary>Σ over blocks of dw·dx·(qw · qx); four blocks at a time into four sums, so no add waits on the one before.</summary>
    private static float Dot(sbyte* w, float* dw, sbyte* x, float* dx, int blocks)
    {
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            int b = 0;
            for (; b + 4 <= blocks; b += 4)
            {
                a0 = Fma.MultiplyAdd(BlockDot(w, x, b), Vector256.Create(dw[b] * dx[b]), a0);
                a1 = Fma.MultiplyAdd(BlockDot(w, x, b + 1), Vector256.Create(dw[b + 1] * dx[b + 1]), a1);
                a2 = Fma.MultiplyAdd(BlockDot(w, x, b + 2), Vector256.Create(dw[b + 2] * dx[b + 2]), a2);
                a3 = Fma.MultiplyAdd(BlockDot(w, x, b + 3), Vector256.Create(dw[b + 3] * dx[b + 3]), a3);
            }
            for (; b < blocks; b++) a0 = Fma.MultiplyAdd(BlockDot(w, x, b), Vector256.Create(dw[b] * dx[b]), a0);
            return Vector256.Sum(Avx.Add(Avx.Add(a0, a1), Avx.Add(a2, a3)));
        }
        float total = 0;
        for (int b = 0; b < blocks; b++)
        {
            int sum = 0;
            for (int j = 0; j < Block; j++) sum += w[b * Block + j] * x[b * Block + j];
            total += dw[b] * dx[b] * sum;
        }
        return total;
    }

    /// <summary>Dot for up to four rows of x at once (rows Columns apart), into y at <paramref name="stride"/> apart.</summary>
    private static void DotRows(sbyte* w, float* dw, sbyte* x, float* dx, int count, int blocks, float* y, long stride)
    {
        if (!(Avx2.IsSupported && Fma.IsSupported))
        {
            for (int r = 0; r < count; r++) y[r * stride] = Dot(w, dw, x + (long)r * blocks * Block, dx + (long)r * blocks, blocks);
            return;
        }
        long row = (long)blocks * Block;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int b = 0; b < blocks; b++)
        {
            var qw = Avx.LoadVector256(w + b * Block);
            var aw = Avx2.Abs(qw);
            float d = dw[b];
            a0 = Fma.MultiplyAdd(SignedDot(aw, qw, x + b * Block), Vector256.Create(d * dx[b]), a0);
            if (count > 1) a1 = Fma.MultiplyAdd(SignedDot(aw, qw, x + row + b * Block), Vector256.Create(d * dx[blocks + b]), a1);
            if (count > 2) a2 = Fma.MultiplyAdd(SignedDot(aw, qw, x + 2 * row + b * Block), Vector256.Create(d * dx[2 * blocks + b]), a2);
            if (count > 3) a3 = Fma.MultiplyAdd(SignedDot(aw, qw, x + 3 * row + b * Block), Vector256.Create(d * dx[3 * blocks + b]), a3);
        }
        y[0] = Vector256.Sum(a0);
        if (count > 1) y[stride] = Vector256.Sum(a1);
        if (count > 2) y[2 * stride] = Vector256.Sum(a2);
        if (count > 3) y[3 * stride] = Vector256.Sum(a3);
    }

    /// <summary>|w| · (x with w's signs) for one block: the u8 × s8 form the integer dot instructions take.</summary>
    private static Vector256<float> SignedDot(Vector256<byte> absW, Vector256<sbyte> w, sbyte* x)
    {
        var sx = Avx2.Sign(Avx.LoadVector256(x), w);
        var sums = AvxVnni.IsSupported
            ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, absW, sx)
            : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(absW, sx), Vector256.Create((short)1));
        return Avx.ConvertToVector256Single(sums);
    }

    /// <summary>One block's 32 int8 products summed in eight lanes, as floats.</summary>
    private static Vector256<float> BlockDot(sbyte* w, sbyte* x, int b)
    {
        var qw = Avx.LoadVector256(w + b * Block);
        return SignedDot(Avx2.Abs(qw), qw, x + b * Block);
    }

    public void Dispose()
    {
        if (_q is null) return;
        NativeMemory.AlignedFree(_q);
        NativeMemory.AlignedFree(_d);
        _q = null;
        _d = null;
    }
}
