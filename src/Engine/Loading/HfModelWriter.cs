using System.Text.Json.Nodes;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Loading;

/// <summary>
/// Writes a loaded model as a Hugging Face folder (config.json, model.safetensors, tokenizer files), so that
/// anything the engine can read, including llama2.c checkpoints, moves on to the Python ecosystem.
/// </summary>
public static class HfModelWriter
{
    private static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json", "generation_config.json", "vocab.json", "merges.txt"];

    /// <summary>Builds the folder beside <paramref name="outputDir"/> and renames it into place, so a failure leaves nothing half-written.
    /// An existing folder with anything in it is refused.</summary>
    /// <param name="transformWeight">
    /// Given each weight's HF name and the model's tensor (engine layout), returns the tensor to write instead, e.g.
    /// with an adapter merged in. Tensors it makes are freed after the write; the model's own must be left unchanged.
    /// </param>
    public static void Write(LoadedModel loaded, string outputDir, Func<string, Tensor, Tensor>? transformWeight = null) =>
        Adapters.AtomicFolder.Write(outputDir, Adapters.ExistingFolder.Refuse, staging => WriteInto(loaded, staging, transformWeight));

    /// <summary>config.json, model.safetensors and the tokenizer's files, into an existing (staging) folder.</summary>
    public static void WriteInto(LoadedModel loaded, string folder, Func<string, Tensor, Tensor>? transformWeight = null)
    {
        HfConfigReader.Write(loaded.Config, Path.Combine(folder, "config.json"));
        WriteWeights(loaded.Model, Path.Combine(folder, "model.safetensors"), transformWeight);
        WriteTokenizer(loaded, folder);
    }

    public static void WriteWeights(CausalLM model, string path, Func<string, Tensor, Tensor>? transformWeight = null)
    {
        using var scope = NewDisposeScope();
        var tensors = model.state_dict()
            .Select(kv => KeyValuePair.Create(kv.Key, transformWeight?.Invoke(kv.Key, kv.Value) ?? kv.Value))
            .Select(kv => KeyValuePair.Create(kv.Key, HfWeightNames.IsTransposedConv1D(kv.Key) ? kv.Value.t().contiguous() : kv.Value))
            .ToList();
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    private static void WriteTokenizer(LoadedModel loaded, string folder)
    {
        if (loaded.Tokenizer is SentencePieceBpeTokenizer sentencePiece && loaded.Source.Format == ModelFormat.Llama2c)
        {
            sentencePiece.WriteTokenizerJson(Path.Combine(folder, "tokenizer.json"));
            var config = new JsonObject
            {
                ["tokenizer_class"] = "LlamaTokenizerFast", ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["unk_token"] = "<unk>",
                ["add_bos_token"] = true, ["add_eos_token"] = false, ["model_max_length"] = loaded.Config.MaxPositions,
                ["clean_up_tokenization_spaces"] = false,
            };
            AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString());
            var generation = new JsonObject { ["bos_token_id"] = loaded.Config.BosTokenId, ["eos_token_id"] = loaded.Config.EosTokenIds.FirstOrDefault() };
            AtomicFile.WriteAllText(Path.Combine(folder, "generation_config.json"), generation.ToJsonString());
            return;
        }
        foreach (var name in TokenizerFiles)
        {
            var from = Path.Combine(loaded.Source.Path, name);
            if (File.Exists(from)) File.Copy(from, Path.Combine(folder, name));
        }
    }
}
