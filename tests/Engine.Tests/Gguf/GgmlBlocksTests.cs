using WebUI.Engine.Loading;

namespace WebUI.Engine.Tests;

/// <summary>The block formats decode exactly as ggml's own to_float does, on blocks ggml itself encoded.</summary>
public sealed class GgmlBlocksTests
{
    private static float[] RandomRows(int rows, int perRow, int seed)
    {
        var random = new Random(seed);
        var values = new float[rows * perRow];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)((random.NextDouble() * 2 - 1) * (i % 97 == 0 ? 3 : 0.5) + (i / perRow % 3 == 0 ? 0.1 : 0)); // outliers and offset rows
        return values;
    }

    [Theory]
    [InlineData(GgmlType.Q4_0, 0.2)]
    [InlineData(GgmlType.Q4_1, 0.2)]
    [InlineData(GgmlType.Q5_0, 0.1)]
    [InlineData(GgmlType.Q5_1, 0.1)]
    [InlineData(GgmlType.Q8_0, 0.02)]
    [InlineData(GgmlType.Q4_K, 0.2)]
    [InlineData(GgmlType.Q5_K, 0.1)]
    [InlineData(GgmlType.Q6_K, 0.05)]
    [InlineData(GgmlType.F16, 0.001)]
    [InlineData(GgmlType.BF16, 0.01)]
    public void Decodes_what_ggml_encoded_as_ggml_decodes_it(GgmlType type, double typicalError)
    {
        const int rows = 6, perRow = 512;
        var original = RandomRows(rows, perRow, seed: (int)type);
        var bytes = LlamaCpp.Quantize(type, original, perRow);

        var ours = new float[original.Length];
        GgmlBlocks.Dequantize(type, bytes, ours);
        var ggml = LlamaCpp.Dequantize(type, bytes, original.Length);

        for (int i = 0; i < ours.Length; i++)
            Assert.True(Math.Abs(ours[i] - ggml[i]) <= 1e-6f * Math.Max(1, Math.Abs(ggml[i])), $"{type} value {i}: ours {ours[i]}, ggml {ggml[i]}");
        // The blocks carry the data, not noise: the decoded values stay near the originals.
        var rms = Math.Sqrt(original.Zip(ours, (a, b) => (double)(a - b) * (a - b)).Average() / original.Average(v => (double)v * v));
        Assert.InRange(rms, 0, typicalError);
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.F32)]
    public void Encodes_the_bytes_ggml_encodes(GgmlType type)
    {
        var values = RandomRows(4, 256, seed: 11);
        values[5] = 0; // a block may hold zeros; a whole zero block has scale 0
        Array.Clear(values, 256, 32);
        var ours = new byte[GgmlTypes.ByteCount(type, values.Length)];
        GgmlBlocks.Quantize(type, values, ours);
        Assert.Equal(LlamaCpp.Quantize(type, values, 256), ours);
    }

    [Fact]
    public void Refuses_a_span_that_does_not_hold_whole_blocks()
    {
        var error = Assert.Throws<ArgumentException>(() => GgmlBlocks.Dequantize(GgmlType.Q4_K, new byte[100], new float[256]));
        Assert.Contains("Q4_K", error.Message);
    }
}
