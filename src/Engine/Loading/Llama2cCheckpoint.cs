using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Loading;

/// <summary>
/// A llama2.c checkpoint (legacy version 0): a header of 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
/// vocab_size — negative when the classifier is untied — and seq_len), then float32 tensors in a fixed order.
/// </summary>
public static class Llama2cCheckpoint
{
    private const int HeaderBytes = 7 * sizeof(int);

    public static ModelConfig ReadConfig(string path)
    {
        using var stream = File.OpenRead(path);
        if (stream.Length < HeaderBytes) throw new InvalidModelException($"{path}: too short for a llama2.c header ({stream.Length} bytes)");
        var header = new int[7];
        using (var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            for (int i = 0; i < 7; i++) header[i] = reader.ReadInt32();
        var (dim, hidden, layers, heads, kvHeads, vocab, seqLen) = (header[0], header[1], header[2], header[3], header[4], header[5], header[6]);
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab == 0 || seqLen <= 0 || dim % heads != 0)
            throw new InvalidModelException($"{path}: not a llama2.c checkpoint (header {string.Join(", ", header)})");
        var config = new ModelConfig
        {
            Family = ModelFamily.Llama, VocabSize = Math.Abs(vocab), HiddenSize = dim, IntermediateSize = hidden,
            NumLayers = layers, NumHeads = heads, NumKvHeads = kvHeads, MaxPositions = seqLen, NormEps = 1e-5,
            RopeTheta = 10000, TieWordEmbeddings = vocab > 0, BosTokenId = 1, EosTokenIds = [2],
        };
        long expected = HeaderBytes + 4L * ParameterFloats(config);
        if (stream.Length < expected)
            throw new InvalidModelException($"{path}: truncated llama2.c checkpoint ({stream.Length} bytes, header implies at least {expected})");
        return config;
    }

    /// <summary>Reads every weight under its HF name, with q/k rows permuted from interleaved to rotate-half rotary pairs.</summary>
    public static Dictionary<string, Tensor> ReadWeights(string path, ModelConfig c)
    {
        var weights = new Dictionary<string, Tensor>();
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        stream.Position = HeaderBytes;
        long kvDim = (long)c.KvHeads * c.HeadDim;
        foreach (var (pattern, perLayer) in HfWeightNames.Llama2cOrder)
        {
            long[] shape = ShapeOf(pattern, c, kvDim);
            for (int layer = 0; layer < (perLayer ? c.NumLayers : 1); layer++)
            {
                var name = string.Format(pattern, layer);
                var t = ReadFloats(reader, shape);
                weights[name] = HfWeightNames.InterleavedRotaryHeads(name, c) is int heads ? RotaryLayout.ToHalves(t, heads) : t;
            }
        }
        if (!c.TieWordEmbeddings)
        {
            // Skip the legacy freq_cis tables (real and imaginary, seq_len x head_dim/2 each) before the classifier.
            stream.Position += 2L * c.MaxPositions * (c.HeadDim / 2) * sizeof(float);
            weights["lm_head.weight"] = ReadFloats(reader, [c.VocabSize, c.HiddenSize]);
        }
        return weights;
    }

    private static long[] ShapeOf(string pattern, ModelConfig c, long kvDim) => pattern switch
    {
        _ when pattern.EndsWith("embed_tokens.weight") => [c.VocabSize, c.HiddenSize],
        _ when pattern.EndsWith("norm.weight") || pattern.EndsWith("layernorm.weight") => [c.HiddenSize],
        _ when pattern.EndsWith("q_proj.weight") || pattern.EndsWith("o_proj.weight") => [c.HiddenSize, c.HiddenSize],
        _ when pattern.EndsWith("k_proj.weight") || pattern.EndsWith("v_proj.weight") => [kvDim, c.HiddenSize],
        _ when pattern.EndsWith("down_proj.weight") => [c.HiddenSize, c.IntermediateSize],
        _ => [c.IntermediateSize, c.HiddenSize],
    };

    private static long ParameterFloats(ModelConfig c)
    {
        long kvDim = (long)c.KvHeads * c.HeadDim;
        return HfWeightNames.Llama2cOrder.Sum(e => ShapeOf(e.Name, c, kvDim).Aggregate(1L, (a, b) => a * b) * (e.PerLayer ? c.NumLayers : 1));
    }

    private static Tensor ReadFloats(BinaryReader reader, long[] shape)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var bytes = reader.ReadBytes(checked((int)(count * sizeof(float))));
        if (bytes.LongLength != count * sizeof(float)) throw new EndOfStreamException();
        var floats = new float[count];
        Buffer.BlockCopy(bytes, 0, floats, 0, bytes.Length);
        return tensor(floats, shape);
    }
}
