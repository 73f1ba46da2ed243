namespace WebUI.Engine.Loading;

/// <summary>Finds and loads the tokenizer of a model folder or a llama2.c tokenizer.bin.</summary>
public static class TokenizerLoader
{
    /// <summary>
    /// tokenizer.json (byte-level BPE, or SentencePiece-style BPE when it has byte_fallback or Metaspace), else
    /// tokenizer.model (SentencePiece protobuf). Throws <see cref="InvalidModelException"/> naming the folder and
    /// the files looked for when neither is there, or naming the file that cannot be used.
    /// </summary>
    public static ITextTokenizer FromFolder(string folder)
    {
        var json = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(json))
        {
            using var file = TokenizerJsonFile.Read(json);
            try
            {
                return file.IsSentencePieceStyle ? SentencePieceBpeTokenizer.FromJson(file) : ByteLevelBpeTokenizer.FromJson(file);
            }
            catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException or ArgumentException or IndexOutOfRangeException)
            {
                throw new InvalidModelException($"{json}: {e.Message}", e);
            }
        }
        var model = Path.Combine(folder, "tokenizer.model");
        if (File.Exists(model)) return SentencePieceModelTokenizer.FromFile(model);
        throw new InvalidModelException($"{folder}: no tokenizer found (looked for tokenizer.json, tokenizer.model)");
    }

    /// <summary>llama2.c's tokenizer.bin; the vocab size comes from the checkpoint header.</summary>
    public static ITextTokenizer FromLlama2c(string tokenizerBinPath, int vocabSize) =>
        SentencePieceBpeTokenizer.FromLlama2c(tokenizerBinPath, vocabSize);
}
