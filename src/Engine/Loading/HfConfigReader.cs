using System.Text.Json;
using System.Text.Json.Nodes;
using WebUI.Engine.Modeling;

namespace WebUI.Engine.Loading;

/// <summary>Reads and writes Hugging Face config.json for the supported architectures.</summary>
public static class HfConfigReader
{
    public static readonly IReadOnlyList<string> SupportedArchitectures = ["LlamaForCausalLM", "Qwen2ForCausalLM", "GPT2LMHeadModel"];

    public static ModelConfig Read(string path)
    {
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidModelException($"{path}: not a JSON object"); }
        catch (JsonException e) { throw new InvalidModelException($"{path}: malformed JSON ({e.Message})", e); }

        var architecture = (json["architectures"] as JsonArray)?.FirstOrDefault()?.GetValue<string>()
            ?? throw new InvalidModelException($"{path}: no \"architectures\" entry");
        try
        {
            var config = architecture switch
            {
                "LlamaForCausalLM" => ReadLlama(json, ModelFamily.Llama),
                "Qwen2ForCausalLM" => ReadLlama(json, ModelFamily.Qwen2),
                "GPT2LMHeadModel" => ReadGpt2(json),
                _ => throw new InvalidModelException(
                    $"{path}: architecture '{architecture}' is not supported (supported: {string.Join(", ", SupportedArchitectures)})"),
            };
            return config.Validate();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new InvalidModelException($"{path}: {e.Message}", e);
        }
    }

    private static ModelConfig ReadLlama(JsonObject j, ModelFamily family) => new()
    {
        Family = family,
        VocabSize = Int(j, "vocab_size"),
        HiddenSize = Int(j, "hidden_size"),
        IntermediateSize = Int(j, "intermediate_size"),
        NumLayers = Int(j, "num_hidden_layers"),
        NumHeads = Int(j, "num_attention_heads"),
        NumKvHeads = j["num_key_value_heads"]?.GetValue<int>() ?? Int(j, "num_attention_heads"),
        MaxPositions = j["max_position_embeddings"]?.GetValue<int>() ?? 2048,
        NormEps = j["rms_norm_eps"]?.GetValue<double>() ?? 1e-6,
        RopeTheta = j["rope_theta"]?.GetValue<double>() ?? 10000,
        RopeScaling = ReadRopeScaling(j["rope_scaling"] as JsonObject),
        TieWordEmbeddings = j["tie_word_embeddings"]?.GetValue<bool>() ?? false,
        // Qwen2 always has q/k/v biases; Llama has them only when attention_bias says so.
        AttentionBias = family == ModelFamily.Qwen2 || (j["attention_bias"]?.GetValue<bool>() ?? false),
        BosTokenId = j["bos_token_id"]?.GetValue<int?>(),
        EosTokenIds = Ids(j["eos_token_id"]),
    };

    private static ModelConfig ReadGpt2(JsonObject j) => new()
    {
        Family = ModelFamily.Gpt2,
        VocabSize = Int(j, "vocab_size"),
        HiddenSize = Int(j, "n_embd"),
        IntermediateSize = j["n_inner"]?.GetValue<int?>() ?? 4 * Int(j, "n_embd"),
        NumLayers = Int(j, "n_layer"),
        NumHeads = Int(j, "n_head"),
        NumKvHeads = Int(j, "n_head"),
        MaxPositions = j["n_positions"]?.GetValue<int>() ?? 1024,
        NormEps = j["layer_norm_epsilon"]?.GetValue<double>() ?? 1e-5,
        TieWordEmbeddings = true,
        BosTokenId = j["bos_token_id"]?.GetValue<int?>(),
        EosTokenIds = Ids(j["eos_token_id"]),
    };

    private static RopeScaling? ReadRopeScaling(JsonObject? s)
    {
        var type = s?["rope_type"]?.GetValue<string>() ?? s?["type"]?.GetValue<string>();
        if (s is null || type is null or "default") return null;
        if (type != "llama3") throw new ArgumentException($"rope_scaling type '{type}' is not supported (supported: llama3)");
        return new RopeScaling(s["factor"]!.GetValue<double>(), s["low_freq_factor"]!.GetValue<double>(),
            s["high_freq_factor"]!.GetValue<double>(), s["original_max_position_embeddings"]!.GetValue<int>());
    }

    private static int Int(JsonObject j, string key) =>
        j[key]?.GetValue<int>() ?? throw new ArgumentException($"missing \"{key}\"");

    private static IReadOnlyList<int> Ids(JsonNode? node) => node switch
    {
        null => [],
        JsonArray a => [.. a.Select(x => x!.GetValue<int>())],
        _ => [node.GetValue<int>()],
    };

    public static void Write(ModelConfig c, string path)
    {
        var json = c.Family == ModelFamily.Gpt2
            ? new JsonObject
            {
                ["architectures"] = new JsonArray(c.HfArchitecture), ["model_type"] = "gpt2",
                ["vocab_size"] = c.VocabSize, ["n_embd"] = c.HiddenSize, ["n_inner"] = c.IntermediateSize,
                ["n_layer"] = c.NumLayers, ["n_head"] = c.NumHeads, ["n_positions"] = c.MaxPositions, ["n_ctx"] = c.MaxPositions,
                ["layer_norm_epsilon"] = c.NormEps, ["activation_function"] = "gelu_new", ["tie_word_embeddings"] = true,
            }
            : new JsonObject
            {
                ["architectures"] = new JsonArray(c.HfArchitecture), ["model_type"] = c.Family == ModelFamily.Qwen2 ? "qwen2" : "llama",
                ["vocab_size"] = c.VocabSize, ["hidden_size"] = c.HiddenSize, ["intermediate_size"] = c.IntermediateSize,
                ["num_hidden_layers"] = c.NumLayers, ["num_attention_heads"] = c.NumHeads, ["num_key_value_heads"] = c.KvHeads,
                ["max_position_embeddings"] = c.MaxPositions, ["rms_norm_eps"] = c.NormEps, ["rope_theta"] = c.RopeTheta,
                ["tie_word_embeddings"] = c.TieWordEmbeddings, ["attention_bias"] = c.AttentionBias, ["hidden_act"] = "silu",
                ["rope_scaling"] = c.RopeScaling is { } s ? new JsonObject
                {
                    ["rope_type"] = "llama3", ["factor"] = s.Factor, ["low_freq_factor"] = s.LowFreqFactor,
                    ["high_freq_factor"] = s.HighFreqFactor, ["original_max_position_embeddings"] = s.OriginalMaxPositions,
                } : null,
            };
        if (c.BosTokenId is { } bos) json["bos_token_id"] = bos;
        if (c.EosTokenIds.Count == 1) json["eos_token_id"] = c.EosTokenIds[0];
        else if (c.EosTokenIds.Count > 1) json["eos_token_id"] = new JsonArray([.. c.EosTokenIds.Select(i => (JsonNode)i)]);
        json["torch_dtype"] = "float32";
        AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
