namespace WebUI.Engine.Loading;

/// <summary>llama.cpp's token types (tokenizer.ggml.token_type), as SentencePiece numbers them.</summary>
internal enum GgufTokenType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

/// <summary>A tokenizer's vocabulary as GGUF holds it: "llama" (SentencePiece, with scores) or "gpt2" (byte-level BPE, with merges).</summary>
internal sealed record GgufVocabulary(string Model, string[] Tokens, int[] Types, float[]? Scores, string[]? Merges, string? PreTokenizer, bool AddSpacePrefix);

/// <summary>
/// The byte-level pre-tokenizers llama.cpp knows by tokenizer.ggml.pre name, as the tokenizer.json pre_tokenizer HF
/// writes for them. One table serves reading (name → pre-tokenizer) and writing (pre-tokenizer → name).
/// </summary>
internal static class GgufPreTokenizers
{
    private const string Llama3Split = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2Split = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string ByteLevel = """{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}""";
    private const string ByteLevelNoRegex = """{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}""";

    private static string SplitThen(string regex) =>
        $$"""{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":{{System.Text.Json.JsonSerializer.Serialize(regex)}}},"behavior":"Isolated","invert":false},{{ByteLevelNoRegex}}]}""";

    private static readonly (string Name, string Json)[] Table =
    [
        ("gpt-2", ByteLevel),
        ("smollm", $$"""{"type":"Sequence","pretokenizers":[{"type":"Digits","individual_digits":true},{{ByteLevel}}]}"""),
        ("llama-bpe", SplitThen(Llama3Split)),
        ("qwen2", SplitThen(Qwen2Split)),
    ];

    public static IEnumerable<string> Names => Table.Select(t => t.Name).Append("default");

    /// <summary>"default" is what llama.cpp assumes when a file has no tokenizer.ggml.pre: GPT-2's split.</summary>
    public static string? Json(string name) => name == "default" ? ByteLevel : Table.FirstOrDefault(t => t.Name == name).Json;

    /// <summary>llama.cpp takes a word that is itself a token whole for these (HF's ignore_merges, as Llama 3 sets it).</summary>
    public static bool IgnoresMerges(string name) => name == "llama-bpe";

    public static string? NameOf(string signature) => Table.FirstOrDefault(t => SignatureOf(t.Json) == signature).Name;

    private static string SignatureOf(string json)
    {
        var document = $$"""{"model":{"type":"BPE","vocab":{},"merges":[]},"pre_tokenizer":{{json}}}""";
        using var file = TokenizerJsonFile.Parse("pre-tokenizer table", document);
        return ByteLevelPreTokenizer.FromJson(file).Signature;
    }
}

/// <summary>The tokenizer of a GGUF file, from tokenizer.ggml.*, and the metadata that writes one back.</summary>
internal static class GgufTokenizer
{
    public static ITextTokenizer Read(GgufFile file)
    {
        var model = file.String("tokenizer.ggml.model") ?? throw new InvalidModelException($"{file.Path}: no tokenizer in the metadata (tokenizer.ggml.model is missing)");
        var tokens = file.Array<string>("tokenizer.ggml.tokens") ?? throw new InvalidModelException($"{file.Path}: metadata has no tokenizer.ggml.tokens");
        var types = file.Array<int>("tokenizer.ggml.token_type");
        if (types is not null && types.Length != tokens.Length)
            throw new InvalidModelException($"{file.Path}: tokenizer.ggml.token_type has {types.Length} entries for {tokens.Length} tokens");
        int? Id(string key)
        {
            var id = file.Integer(key);
            return id is null ? null : id >= 0 && id < tokens.Length ? (int)id : throw new InvalidModelException($"{file.Path}: {key} {id} is outside the {tokens.Length} tokens");
        }
        var bos = Id("tokenizer.ggml.bos_token_id");
        var eos = new[] { Id("tokenizer.ggml.eos_token_id"), Id("tokenizer.ggml.eot_token_id") }.OfType<int>().Distinct().ToList();
        var template = file.String("tokenizer.chat_template");
        switch (model)
        {
            case "llama":
                var scores = file.Array<float>("tokenizer.ggml.scores");
                if (scores is not null && scores.Length != tokens.Length)
                    throw new InvalidModelException($"{file.Path}: tokenizer.ggml.scores has {scores.Length} entries for {tokens.Length} tokens");
                var settings = new SpecialTokenSettings(bos, eos, (file.Bool("tokenizer.ggml.add_bos_token") ?? true) && bos is not null, template);
                return SentencePieceBpeTokenizer.FromGguf(tokens, scores, types, file.Bool("tokenizer.ggml.add_space_prefix") ?? true, settings);
            case "gpt2":
                var merges = file.Array<string>("tokenizer.ggml.merges") ?? throw new InvalidModelException($"{file.Path}: a gpt2 tokenizer without tokenizer.ggml.merges");
                var bpeSettings = new SpecialTokenSettings(bos, eos, (file.Bool("tokenizer.ggml.add_bos_token") ?? false) && bos is not null, template);
                return ByteLevelBpeTokenizer.FromGguf(file.Path, tokens, merges, types, file.String("tokenizer.ggml.pre") ?? "default", bpeSettings);
            default:
                throw new InvalidModelException($"{file.Path}: tokenizer.ggml.model '{model}' is not supported (supported: llama, gpt2)");
        }
    }

    /// <summary>The tokenizer.* metadata of <paramref name="tokenizer"/>, as llama.cpp's converter writes it.</summary>
    public static void Write(ITextTokenizer tokenizer, GgufWriter writer)
    {
        var vocab = tokenizer switch
        {
            SentencePieceBpeTokenizer sp => sp.ToGguf(),
            ByteLevelBpeTokenizer bpe => bpe.ToGguf(),
            _ => throw new InvalidOperationException($"GGUF export does not support a {tokenizer.GetType().Name} (tokenizer.model) yet; convert the model with a tokenizer.json"),
        };
        writer.Set("tokenizer.ggml.model", vocab.Model).Set("tokenizer.ggml.tokens", vocab.Tokens);
        if (vocab.PreTokenizer is { } pre) writer.Set("tokenizer.ggml.pre", pre);
        if (vocab.Scores is { } scores) writer.Set("tokenizer.ggml.scores", scores);
        writer.Set("tokenizer.ggml.token_type", vocab.Types);
        if (vocab.Merges is { } merges) writer.Set("tokenizer.ggml.merges", merges);
        if (tokenizer.BosId is int bos) writer.Set("tokenizer.ggml.bos_token_id", (uint)bos);
        if (tokenizer.EosIds.Count > 0) writer.Set("tokenizer.ggml.eos_token_id", (uint)tokenizer.EosIds[0]);
        if (tokenizer.EosIds.Count > 1) writer.Set("tokenizer.ggml.eot_token_id", (uint)tokenizer.EosIds[1]);
        if (vocab.Types.Select((t, id) => (t, id)).FirstOrDefault(x => x.t == (int)GgufTokenType.Unknown) is { t: > 0 } unk)
            writer.Set("tokenizer.ggml.unknown_token_id", (uint)unk.id);
        writer.Set("tokenizer.ggml.add_bos_token", tokenizer.AddsBos).Set("tokenizer.ggml.add_eos_token", false);
        if (vocab.Model == "llama") writer.Set("tokenizer.ggml.add_space_prefix", vocab.AddSpacePrefix);
        if (tokenizer.ChatTemplate is { } template) writer.Set("tokenizer.chat_template", template);
    }
}
