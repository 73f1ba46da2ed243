using static TorchSharp.torch;

namespace WebUI.Engine.Loading;

/// <summary>
/// The two row orders of q/k projections: interleaved rotary pairs (llama2.c, Meta, llama.cpp's GGUF) and HF Llama's
/// rotate-half halves. Each function takes ownership of its input (weights or biases, rows first).
/// </summary>
public static class RotaryLayout
{
    /// <summary>Row 2j+p of each head (adjacent pairs) becomes row p·headDim/2 + j (HF's halves).</summary>
    public static Tensor ToHalves(Tensor w, int heads) => Permute(w, heads, w.shape[0] / heads / 2, 2);

    /// <summary>The inverse, as llama.cpp's convert_hf_to_gguf.py permutes HF Llama's q/k.</summary>
    public static Tensor ToInterleaved(Tensor w, int heads) => Permute(w, heads, 2, w.shape[0] / heads / 2);

    private static Tensor Permute(Tensor w, int heads, long first, long second)
    {
        using var _ = w;
        var shape = w.shape;
        return w.reshape([heads, first, second, -1]).transpose(1, 2).reshape(shape).contiguous();
    }
}
