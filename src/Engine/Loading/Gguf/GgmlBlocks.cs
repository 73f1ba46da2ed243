using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace WebUI.Engine.Loading;

/// <summary>
/// ggml's block formats, decoded as its reference dequantize_row_* functions do (ggml-quants.c), and the
/// F32/F16/Q8_0 encodings the engine writes, as quantize_row_q8_0_ref does.
/// </summary>
public static class GgmlBlocks
{
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        var (values, bytes) = GgmlTypes.Block(type);
        if (source.Length != destination.Length / values * bytes || destination.Length % values != 0)
            throw new ArgumentException($"{source.Length} bytes of {type} do not hold {destination.Length} values");
        switch (type)
        {
            case GgmlType.F32: MemoryMarshal.Cast<byte, float>(source).CopyTo(destination); return;
            case GgmlType.F16:
                var halves = MemoryMarshal.Cast<byte, Half>(source);
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)halves[i];
                return;
            case GgmlType.BF16:
                var raw = MemoryMarshal.Cast<byte, ushort>(source);
                for (int i = 0; i < destination.Length; i++) destination[i] = BitConverter.Int32BitsToSingle(raw[i] << 16);
                return;
        }
        for (int block = 0; block < destination.Length / values; block++)
        {
            var b = source.Slice(block * bytes, bytes);
            var y = destination.Slice(block * values, values);
            switch (type)
            {
                case GgmlType.Q8_0: Q8_0(b, y); break;
                case GgmlType.Q4_0: Q4(b[2..], y, F16(b, 0), 8, 0); break;
                case GgmlType.Q4_1: Q4(b[4..], y, F16(b, 0), 0, F16(b, 2)); break;
                case GgmlType.Q5_0: Q5(b[2..], y, F16(b, 0), 16, 0); break;
                case GgmlType.Q5_1: Q5(b[4..], y, F16(b, 0), 0, F16(b, 2)); break;
                case GgmlType.Q4_K: Q4_K(b, y); break;
                case GgmlType.Q5_K: Q5_K(b, y); break;
                case GgmlType.Q6_K: Q6_K(b, y); break;
                default: throw new ArgumentOutOfRangeException(nameof(type), type, "not a type the engine reads");
            }
        }
    }

    /// <summary>Encodes values as F32, F16 or Q8_0 (blocks of 32: an f16 scale amax/127 and 32 rounded int8).</summary>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        if (destination.Length != GgmlTypes.ByteCount(type, source.Length))
            throw new ArgumentException($"{destination.Length} bytes cannot hold {source.Length} values as {type}");
        switch (type)
        {
            case GgmlType.F32: MemoryMarshal.AsBytes(source).CopyTo(destination); return;
            case GgmlType.F16:
                var halves = MemoryMarshal.Cast<byte, Half>(destination);
                for (int i = 0; i < source.Length; i++) halves[i] = (Half)source[i];
                return;
            case GgmlType.Q8_0:
                for (int block = 0; block < source.Length / 32; block++)
                {
                    var x = source.Slice(block * 32, 32);
                    var b = destination.Slice(block * 34, 34);
                    float amax = 0;
                    foreach (var v in x) amax = MathF.Max(amax, MathF.Abs(v));
                    float d = amax / 127, id = d != 0 ? 1 / d : 0;
                    BinaryPrimitives.WriteHalfLittleEndian(b, (Half)d);
                    for (int j = 0; j < 32; j++) b[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
                }
                return;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "the engine writes F32, F16 and Q8_0");
        }
    }

    private static float F16(ReadOnlySpan<byte> b, int at) => (float)BinaryPrimitives.ReadHalfLittleEndian(b[at..]);

    private static void Q8_0(ReadOnlySpan<byte> b, Span<float> y)
    {
        float d = F16(b, 0);
        for (int j = 0; j < 32; j++) y[j] = (sbyte)b[2 + j] * d;
    }

    /// <summary>Q4_0 (centre 8, no offset) and Q4_1 (offset m): low nibbles are values 0..15, high nibbles 16..31.</summary>
    private static void Q4(ReadOnlySpan<byte> qs, Span<float> y, float d, int centre, float offset)
    {
        for (int j = 0; j < 16; j++)
        {
            y[j] = ((qs[j] & 0xF) - centre) * d + offset;
            y[j + 16] = ((qs[j] >> 4) - centre) * d + offset;
        }
    }

    /// <summary>Q5_0 (centre 16, no offset) and Q5_1 (offset m): four bytes of fifth bits, then nibbles as Q4.</summary>
    private static void Q5(ReadOnlySpan<byte> b, Span<float> y, float d, int centre, float offset)
    {
        uint qh = BinaryPrimitives.ReadUInt32LittleEndian(b);
        var qs = b[4..];
        for (int j = 0; j < 16; j++)
        {
            int high0 = (int)((qh >> j) << 4) & 0x10, high1 = (int)(qh >> (j + 12)) & 0x10;
            y[j] = (((qs[j] & 0xF) | high0) - centre) * d + offset;
            y[j + 16] = (((qs[j] >> 4) | high1) - centre) * d + offset;
        }
    }

    /// <summary>The 6-bit scale and min of sub-block j, packed in 12 bytes (get_scale_min_k4).</summary>
    private static (int Scale, int Min) ScaleMinK4(int j, ReadOnlySpan<byte> q) => j < 4
        ? (q[j] & 63, q[j + 4] & 63)
        : ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));

    private static void Q4_K(ReadOnlySpan<byte> b, Span<float> y)
    {
        float d = F16(b, 0), min = F16(b, 2);
        var scales = b.Slice(4, 12);
        var q = b[16..];
        for (int j = 0, sub = 0, at = 0; j < 256; j += 64, sub += 2, q = q[32..])
        {
            var (s1, m1) = ScaleMinK4(sub, scales);
            var (s2, m2) = ScaleMinK4(sub + 1, scales);
            float d1 = d * s1, min1 = min * m1, d2 = d * s2, min2 = min * m2;
            for (int l = 0; l < 32; l++) y[at++] = d1 * (q[l] & 0xF) - min1;
            for (int l = 0; l < 32; l++) y[at++] = d2 * (q[l] >> 4) - min2;
        }
    }

    private static void Q5_K(ReadOnlySpan<byte> b, Span<float> y)
    {
        float d = F16(b, 0), min = F16(b, 2);
        var scales = b.Slice(4, 12);
        var qh = b.Slice(16, 32);
        var ql = b[48..];
        int u1 = 1, u2 = 2;
        for (int j = 0, sub = 0, at = 0; j < 256; j += 64, sub += 2, ql = ql[32..], u1 <<= 2, u2 <<= 2)
        {
            var (s1, m1) = ScaleMinK4(sub, scales);
            var (s2, m2) = ScaleMinK4(sub + 1, scales);
            float d1 = d * s1, min1 = min * m1, d2 = d * s2, min2 = min * m2;
            for (int l = 0; l < 32; l++) y[at++] = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - min1;
            for (int l = 0; l < 32; l++) y[at++] = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - min2;
        }
    }

    private static void Q6_K(ReadOnlySpan<byte> b, Span<float> y)
    {
        var ql = b[..128];
        var qh = b.Slice(128, 64);
        var sc = MemoryMarshal.Cast<byte, sbyte>(b.Slice(192, 16));
        float d = F16(b, 208);
        for (int n = 0; n < 256; n += 128, ql = ql[64..], qh = qh[32..], sc = sc[8..])
            for (int l = 0; l < 32; l++)
            {
                int s = l / 16;
                int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[n + l] = d * sc[s] * q1;
                y[n + l + 32] = d * sc[s + 2] * q2;
                y[n + l + 64] = d * sc[s + 4] * q3;
                y[n + l + 96] = d * sc[s + 6] * q4;
            }
    }
}
