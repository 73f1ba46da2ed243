using TorchSharp;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>
/// Rotary position embedding in Hugging Face's rotate-half layout. Tables are precomputed for every position
/// and kept as non-persistent buffers, so they follow the model to its device but never reach a weight file.
/// </summary>
public sealed class RotaryEmbedding : nn.Module
{
    private readonly Tensor cos;
    private readonly Tensor sin;

    public RotaryEmbedding(int headDim, int maxPositions, double theta, RopeScaling? scaling) : base(nameof(RotaryEmbedding))
    {
        var inverse = InverseFrequencies(headDim, theta, scaling);
        using var scope = NewDisposeScope();
        var positions = TorchScalars.Range(0, maxPositions, CPU).to(ScalarType.Float32);
        var angles = outer(positions, tensor(inverse));
        var full = cat([angles, angles], -1);
        cos = full.cos().MoveToOuterDisposeScope();
        sin = full.sin().MoveToOuterDisposeScope();
        register_buffer("cos", cos, persistent: false);
        register_buffer("sin", sin, persistent: false);
    }

    public int MaxPositions => (int)cos.shape[0];

    /// <summary>cos and sin [tokens, headDim] for positions offset .. offset + tokens - 1.</summary>
    public (Tensor Cos, Tensor Sin) Tables(long offset, long tokens, ScalarType dtype)
    {
        if (offset + tokens > MaxPositions)
            throw new ArgumentException($"position {offset + tokens} is beyond the model's context of {MaxPositions} tokens");
        return (cos.narrow(0, offset, tokens).to(dtype), sin.narrow(0, offset, tokens).to(dtype));
    }

    /// <summary>cos and sin [batch, 1, 1, headDim] for one token per row at <paramref name="positions"/> [batch].</summary>
    public (Tensor Cos, Tensor Sin) Tables(Tensor positions, ScalarType dtype)
    {
        long rows = positions.shape[0], dim = cos.shape[1];
        return (cos.index_select(0, positions).to(dtype).view(rows, 1, 1, dim), sin.index_select(0, positions).to(dtype).view(rows, 1, 1, dim));
    }

    /// <summary>Rotates x [batch, heads, tokens, headDim] with tables from <see cref="Tables"/>.</summary>
    public static Tensor Rotate(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long half = x.shape[3] / 2;
        var rotated = cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return (x * cos).add(rotated * sin, TorchScalars.One).MoveToOuterDisposeScope();
    }

    private static float[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        var inverse = new float[headDim / 2];
        for (int i = 0; i < inverse.Length; i++)
        {
            double freq = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
            inverse[i] = (float)(scaling is null ? freq : Llama3Scaled(freq, scaling));
        }
        return inverse;
    }

    // Llama 3.1: long wavelengths are slowed by the factor, short ones kept, the band between blended smoothly.
    private static double Llama3Scaled(double freq, RopeScaling s)
    {
        double wavelength = 2 * Math.PI / freq;
        double lowWavelength = s.OriginalMaxPositions / s.LowFreqFactor, highWavelength = s.OriginalMaxPositions / s.HighFreqFactor;
        if (wavelength < highWavelength) return freq;
        if (wavelength > lowWavelength) return freq / s.Factor;
        double smooth = (s.OriginalMaxPositions / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
        return (1 - smooth) * freq / s.Factor + smooth * freq;
    }
}
