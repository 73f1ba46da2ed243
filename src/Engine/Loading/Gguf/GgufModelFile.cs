using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Loading;

/// <summary>
/// A model in GGUF: the config from {arch}.* metadata, weights under llama.cpp's names (<see cref="HfWeightNames.GgufName"/>)
/// with Llama's q/k rows in interleaved rotary order, and the tokenizer in tokenizer.*; read and written the way
/// llama.cpp's convert_hf_to_gguf.py writes them, so llama.cpp runs what this writes and this reads what it makes.
/// </summary>
public static class GgufModelFile
{
    private static readonly Dictionary<string, ModelFamily> Architectures = new()
    {
        ["llama"] = ModelFamily.Llama, ["qwen2"] = ModelFamily.Qwen2, ["gpt2"] = ModelFamily.Gpt2,
    };

    /// <summary>general.file_type numbers of the types the engine writes (llama_ftype).</summary>
    private static uint FileType(GgmlType type) => type switch { GgmlType.F32 => 0, GgmlType.F16 => 1, _ => 7 };

    /// <summary>llama.cpp's names of its file types (general.file_type, llama_ftype).</summary>
    private static readonly Dictionary<long, string> FileTypeNames = new()
    {
        [0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [7] = "Q8_0", [8] = "Q5_0", [9] = "Q5_1", [10] = "Q2_K",
        [11] = "Q3_K_S", [12] = "Q3_K_M", [13] = "Q3_K_L", [14] = "Q4_K_S", [15] = "Q4_K_M", [16] = "Q5_K_S", [17] = "Q5_K_M",
        [18] = "Q6_K", [32] = "BF16",
    };

    /// <summary>The file's quantization as llama.cpp names it (Q4_K_M, F16): general.file_type, else the commonest matrix type.</summary>
    public static string QuantizationName(GgufFile file) =>
        file.Integer("general.file_type") is long t && FileTypeNames.TryGetValue(t, out var name) ? name
        : file.TensorList.Where(i => i.Shape.Length == 2).GroupBy(i => i.Type).OrderByDescending(g => g.Count()).Select(g => g.Key.ToString()).FirstOrDefault() ?? "F32";

    /// <summary>general.architecture for a model family.</summary>
    public static string ArchitectureOf(ModelConfig config) => Architectures.First(a => a.Value == config.Family).Key;

    public static ModelConfig ReadConfig(GgufFile file)
    {
        var arch = file.String("general.architecture") ?? throw new InvalidModelException($"{file.Path}: metadata has no general.architecture");
        if (!Architectures.TryGetValue(arch, out var family))
            throw new InvalidModelException($"{file.Path}: architecture '{arch}' is not supported (supported: {string.Join(", ", Architectures.Keys)})");
        int Required(string key) => (int)(file.Integer($"{arch}.{key}") ?? throw new InvalidModelException($"{file.Path}: metadata has no {arch}.{key}"));
        var embedding = file.Tensors.GetValueOrDefault("token_embd.weight") ?? throw new InvalidModelException($"{file.Path}: no tensor 'token_embd.weight'");
        if (file.Tensors.ContainsKey("rope_freqs.weight") || file.String($"{arch}.rope.scaling.type") is { } scaling and not "none")
            throw new InvalidModelException($"{file.Path}: rope scaling ({file.String($"{arch}.rope.scaling.type") ?? "rope_freqs"}) is not supported");
        int hidden = Required("embedding_length"), heads = Required("attention.head_count");
        if (family != ModelFamily.Gpt2 && file.Integer($"{arch}.rope.dimension_count") is long rotary && rotary != hidden / heads)
            throw new InvalidModelException($"{file.Path}: {arch}.rope.dimension_count {rotary} differs from the head size {hidden / heads} (partial rotary is not supported)");
        var config = new ModelConfig
        {
            Family = family,
            VocabSize = (int)embedding.Shape[0],
            HiddenSize = hidden,
            IntermediateSize = Required("feed_forward_length"),
            NumLayers = Required("block_count"),
            NumHeads = heads,
            NumKvHeads = (int)(file.Integer($"{arch}.attention.head_count_kv") ?? heads),
            MaxPositions = Required("context_length"),
            NormEps = file.Number(family == ModelFamily.Gpt2 ? $"{arch}.attention.layer_norm_epsilon" : $"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5,
            RopeTheta = file.Number($"{arch}.rope.freq_base") ?? 10000,
            TieWordEmbeddings = family == ModelFamily.Gpt2 || !file.Tensors.ContainsKey("output.weight"),
            AttentionBias = family == ModelFamily.Qwen2 || file.Tensors.ContainsKey("blk.0.attn_q.bias"),
            BosTokenId = file.Integer("tokenizer.ggml.bos_token_id") is long bos ? (int)bos : null,
            EosTokenIds = file.Integer("tokenizer.ggml.eos_token_id") is long eos ? [(int)eos] : [],
        };
        try { return config.Validate(); }
        catch (ArgumentException e) { throw new InvalidModelException($"{file.Path}: {e.Message}", e); }
    }

    public static LoadedModel Load(ModelSource source, ComputeDevice device)
    {
        using var file = GgufFile.Open(source.WeightsPath);
        var config = ReadConfig(file);
        var tokenizer = GgufTokenizer.Read(file);
        var model = CausalLM.Create(config);
        try
        {
            ModelLoader.Fill(model, source.WeightsPath, name =>
            {
                var gguf = HfWeightNames.GgufName(name);
                if (gguf is null || !file.Tensors.ContainsKey(gguf)) return null;
                var t = file.Read(gguf);
                return HfWeightNames.InterleavedRotaryHeads(name, config) is int heads ? RotaryLayout.ToHalves(t, heads) : t;
            });
            return ModelLoader.Prepare(model, tokenizer, source, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the model as GGUF F32, F16 or Q8_0 (norms and biases stay F32, and a matrix whose rows do not fill
    /// whole Q8_0 blocks is F16, as llama.cpp's converter does). An existing file is kept as a backup.
    /// </summary>
    /// <param name="transformWeight">As in <see cref="HfModelWriter.Write"/>: the tensor to write for each weight, e.g. with adapters merged.</param>
    public static void Write(LoadedModel loaded, string path, GgmlType type, string name, Func<string, Tensor, Tensor>? transformWeight = null)
    {
        if (type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.Q8_0)) throw new ArgumentException($"GGUF export writes f32, f16 or q8_0, not {type}");
        var c = loaded.Config;
        var arch = ArchitectureOf(c);
        var writer = new GgufWriter()
            .Set("general.architecture", arch).Set("general.name", name).Set("general.file_type", FileType(type))
            .Set($"{arch}.context_length", (uint)c.MaxPositions).Set($"{arch}.embedding_length", (uint)c.HiddenSize)
            .Set($"{arch}.feed_forward_length", (uint)c.IntermediateSize).Set($"{arch}.block_count", (uint)c.NumLayers)
            .Set($"{arch}.attention.head_count", (uint)c.NumHeads).Set($"{arch}.attention.head_count_kv", (uint)c.KvHeads);
        if (c.Family == ModelFamily.Gpt2) writer.Set($"{arch}.attention.layer_norm_epsilon", (float)c.NormEps);
        else
        {
            if (c.RopeScaling is not null) throw new InvalidOperationException("GGUF export of a model with llama3 rope scaling is not supported yet");
            writer.Set($"{arch}.attention.layer_norm_rms_epsilon", (float)c.NormEps).Set($"{arch}.rope.freq_base", (float)c.RopeTheta)
                .Set($"{arch}.rope.dimension_count", (uint)c.HeadDim);
        }
        writer.Set($"{arch}.vocab_size", (uint)c.VocabSize);
        GgufTokenizer.Write(loaded.Tokenizer, writer);

        using var scope = NewDisposeScope();
        foreach (var (weight, value) in loaded.Model.state_dict())
        {
            var gguf = HfWeightNames.GgufName(weight) ?? throw new InvalidOperationException($"weight '{weight}' has no GGUF name");
            var t = transformWeight?.Invoke(weight, value) ?? value;
            if (HfWeightNames.InterleavedRotaryHeads(weight, c) is int heads) t = RotaryLayout.ToInterleaved(t.clone(), heads);
            writer.AddTensor(gguf, TensorType(type, t), t);
        }
        AtomicFile.Write(path, writer.WriteTo, keepBackup: true);
    }

    private static GgmlType TensorType(GgmlType requested, Tensor t) =>
        t.dim() < 2 ? GgmlType.F32 : requested == GgmlType.Q8_0 && t.shape[^1] % 32 != 0 ? GgmlType.F16 : requested;
}
