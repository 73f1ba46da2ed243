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

    /// <summary>
    /// A HF folder's tokenizer files: copied from the source folder, or, for a llama2.c or GGUF source, written from
    /// the tokenizer itself (tokenizer.json, tokenizer_config.json with the special tokens and chat template, and
    /// generation_config.json).
    /// </summary>
    private static void WriteTokenizer(LoadedModel loaded, string folder)
    {
        if (loaded.Source.Format is ModelFormat.Llama2c or ModelFormat.Gguf)
        {
            var tokenizer = loaded.Tokenizer;
            var (tokenizerClass, pieceText) = tokenizer switch
            {
                SentencePieceBpeTokenizer sp => ("LlamaTokenizerFast", (Func<int, string>)sp.PieceText),
                ByteLevelBpeTokenizer bpe => ("PreTrainedTokenizerFast", bpe.PieceText),
                _ => throw new InvalidOperationException($"a {tokenizer.GetType().Name} cannot be written as tokenizer.json"),
            };
            var json = Path.Combine(folder, "tokenizer.json");
            if (tokenizer is SentencePieceBpeTokenizer sentencePiece) sentencePiece.WriteTokenizerJson(json);
            else ((ByteLevelBpeTokenizer)tokenizer).WriteTokenizerJson(json);
            var config = new JsonObject
            {
                ["tokenizer_class"] = tokenizerClass, ["bos_token"] = tokenizer.BosId is int bos ? pieceText(bos) : null,
                ["eos_token"] = tokenizer.EosIds.Count > 0 ? pieceText(tokenizer.EosIds[0]) : null,
                ["add_bos_token"] = tokenizer.AddsBos, ["add_eos_token"] = false, ["model_max_length"] = loaded.Config.MaxPositions,
                ["clean_up_tokenization_spaces"] = false,
            };
            if (tokenizer is SentencePieceBpeTokenizer { UnknownId: int unk }) config["unk_token"] = pieceText(unk);
            if (tokenizer.ChatTemplate is { } template) config["chat_template"] = template;
            AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString());
            var generation = new JsonObject
            {
                ["bos_token_id"] = tokenizer.BosId,
                ["eos_token_id"] = tokenizer.EosIds.Count == 1 ? tokenizer.EosIds[0] : new JsonArray([.. tokenizer.EosIds.Select(id => (JsonNode)id)]),
            };
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
