using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Adapters;

/// <summary>
/// Hugging Face PEFT's on-disk LoRA format: adapter_config.json plus adapter_model.safetensors whose keys are
/// base_model.model.&lt;module path&gt;.lora_A.weight [r, in] and .lora_B.weight [out, r], and for DoRA
/// .lora_magnitude_vector [out] (PEFT saves it without ".weight").
/// </summary>
internal static partial class PeftFormat
{
    public const string ConfigFileName = "adapter_config.json";
    public const string WeightsFileName = "adapter_model.safetensors";

    public static string KeyOf(string modulePath, bool isA) => $"base_model.model.{modulePath}.lora_{(isA ? "A" : "B")}.weight";

    public static string MagnitudeKeyOf(string modulePath) => $"base_model.model.{modulePath}.lora_magnitude_vector";

    /// <summary>A DoRA magnitude key, also with an adapter name or ".weight" after it as other PEFT versions write.</summary>
    public static bool TryParseMagnitudeKey(string key, out string modulePath)
    {
        var match = MagnitudeKeyPattern().Match(key);
        modulePath = match.Success ? match.Groups["path"].Value : "";
        return match.Success;
    }

    [GeneratedRegex(@"^base_model\.model\.(?<path>.+)\.lora_magnitude_vector(?:\.[^.]+)?(?:\.weight)?$")]
    private static partial Regex MagnitudeKeyPattern();

    /// <summary>Also accepts keys with an adapter name before ".weight" ("lora_A.default.weight"), as some PEFT versions save.</summary>
    public static bool TryParseKey(string key, out string modulePath, out bool isA)
    {
        var match = KeyPattern().Match(key);
        modulePath = match.Success ? match.Groups["path"].Value : "";
        isA = match.Success && match.Groups["matrix"].Value == "A";
        return match.Success;
    }

    [GeneratedRegex(@"^base_model\.model\.(?<path>.+)\.lora_(?<matrix>[AB])(?:\.[^.]+)?\.weight$")]
    private static partial Regex KeyPattern();

    /// <param name="fanInFanOut">True when the base layers are GPT-2 Conv1D ([in, out]); it tells PEFT how to merge, the LoRA tensors are the same.</param>
    public static void WriteConfig(AdapterConfig config, bool fanInFanOut, string path)
    {
        var json = new JsonObject
        {
            ["peft_type"] = "LORA", ["task_type"] = "CAUSAL_LM", ["r"] = config.Rank, ["lora_alpha"] = config.Alpha,
            ["lora_dropout"] = config.Dropout, ["target_modules"] = new JsonArray([.. config.TargetModules.Select(t => (JsonNode)t)]),
            ["bias"] = "none", ["base_model_name_or_path"] = config.BaseModel, ["inference_mode"] = true,
            ["fan_in_fan_out"] = fanInFanOut, ["modules_to_save"] = null, ["use_rslora"] = config.UseRsLora, ["use_dora"] = config.UseDora,
            ["init_lora_weights"] = true, ["rank_pattern"] = new JsonObject(), ["alpha_pattern"] = new JsonObject(),
        };
        AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// Reads the fields the engine uses and rejects what it cannot run. Target modules come back as written (a list,
    /// or one entry holding PEFT's regex or "all-linear"); the weights, not this, say which modules are adapted.
    /// </summary>
    public static AdapterConfig ReadConfig(string path)
    {
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidModelException($"{path}: not a JSON object"); }
        catch (JsonException e) { throw new InvalidModelException($"{path}: malformed JSON ({e.Message})", e); }
        try
        {
            var peftType = json["peft_type"]?.GetValue<string>();
            if (peftType != "LORA")
                throw new InvalidModelException($"{path}: peft_type '{peftType}' is not supported; only LoRA adapters (peft_type LORA) can be loaded");
            foreach (var pattern in new[] { "rank_pattern", "alpha_pattern" })
                if (json[pattern] is JsonObject { Count: > 0 })
                    throw new InvalidModelException($"{path}: per-module ranks or alphas ({pattern}) are not supported");
            if (json["modules_to_save"] is JsonArray { Count: > 0 } saved)
                throw new InvalidModelException($"{path}: fully trained modules (modules_to_save: {saved.ToJsonString()}) are not supported");

            int rank = json["r"]?.GetValue<int>() ?? throw new InvalidModelException($"{path}: no \"r\" (LoRA rank)");
            // PEFT's LoraConfig defaults for fields older configs leave out.
            double alpha = json["lora_alpha"]?.GetValue<double>() ?? 8;
            double dropout = json["lora_dropout"]?.GetValue<double>() ?? 0;
            if (rank < 1 || !(alpha > 0) || !(dropout >= 0 && dropout < 1))
                throw new InvalidModelException($"{path}: r {rank}, lora_alpha {alpha} or lora_dropout {dropout} is out of range");
            IReadOnlyList<string> targets = json["target_modules"] switch
            {
                JsonArray list => [.. list.Select(t => t!.GetValue<string>())],
                JsonValue single => [single.GetValue<string>()],
                _ => [],
            };
            return new AdapterConfig(rank, alpha, dropout, targets, json["base_model_name_or_path"]?.GetValue<string>(),
                json["use_rslora"]?.GetValue<bool>() ?? false, json["use_dora"]?.GetValue<bool>() ?? false);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidModelException($"{path}: a field has the wrong type ({e.Message})", e);
        }
    }
}
