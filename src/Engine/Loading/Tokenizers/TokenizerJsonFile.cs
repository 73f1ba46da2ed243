using System.Text.Json;

namespace WebUI.Engine.Loading;

/// <summary>An added token of tokenizer.json: cut out of the text before anything else and encoded as its one id.</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool LStrip, bool RStrip);

/// <summary>
/// What both BPE kinds read from a Hugging Face tokenizer.json: the BPE model (vocab; merges as old "a b" strings
/// or new ["a","b"] pairs), the added tokens, and which kind of BPE it is. Every error names the file.
/// </summary>
internal sealed class TokenizerJsonFile : IDisposable
{
    private readonly JsonDocument _document;

    public string Path { get; }
    public JsonElement Model { get; }
    public IReadOnlyDictionary<string, int> Vocab { get; }
    public IReadOnlyList<(string Left, string Right)> Merges { get; }
    public IReadOnlyList<AddedToken> AddedTokens { get; }
    /// <summary>Metaspace or byte_fallback (Llama 2, Mistral) rather than ByteLevel (GPT-2, Llama 3, Qwen2).</summary>
    public bool IsSentencePieceStyle { get; }

    private TokenizerJsonFile(string path, JsonDocument document)
    {
        Path = path;
        _document = document;
        if (document.RootElement.ValueKind != JsonValueKind.Object) throw Error("not a JSON object");
        Model = Section("model") ?? throw Error("no \"model\" section");

        // Files from before model.type existed are BPE when they have merges.
        var type = Model.TryGetProperty("type", out var t) ? t.GetString() : Model.TryGetProperty("merges", out _) ? "BPE" : null;
        if (type != "BPE") throw Error($"model.type '{type}' is not supported (supported: BPE)");

        Vocab = Model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Merges = Model.TryGetProperty("merges", out var merges) ? merges.EnumerateArray().Select(ReadMerge).ToList() : [];
        AddedTokens = Section("added_tokens")?.EnumerateArray().Select(a => new AddedToken(
            a.GetProperty("id").GetInt32(), a.GetProperty("content").GetString()!,
            Flag(a, "special"), Flag(a, "lstrip"), Flag(a, "rstrip"))).ToList() ?? [];

        var stepTypes = new[] { "normalizer", "pre_tokenizer", "decoder" }
            .SelectMany(name => Section(name) is { } s ? TypesIn(s) : []).ToHashSet();
        IsSentencePieceStyle = Flag(Model, "byte_fallback") || stepTypes.Contains("Metaspace") || stepTypes.Contains("Prepend");
        if (!IsSentencePieceStyle && !stepTypes.Contains("ByteLevel"))
            throw Error("BPE without a ByteLevel or SentencePiece-style (Metaspace, byte_fallback) pre-tokenizer is not supported");
    }

    public static TokenizerJsonFile Read(string path)
    {
        try { return new TokenizerJsonFile(path, JsonDocument.Parse(File.ReadAllBytes(path))); }
        catch (JsonException e) { throw new InvalidModelException($"{path}: malformed JSON ({e.Message})", e); }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException or ArgumentException)
        {
            throw new InvalidModelException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>A tokenizer.json made in memory (from a GGUF vocabulary); errors name <paramref name="origin"/>.</summary>
    public static TokenizerJsonFile Parse(string origin, string json) => new(origin, JsonDocument.Parse(json));

    public InvalidModelException Error(string what) => new($"{Path}: {what}");

    /// <summary>A top-level section, or null when it is absent or JSON null.</summary>
    public JsonElement? Section(string name) =>
        _document.RootElement.TryGetProperty(name, out var e) && e.ValueKind != JsonValueKind.Null ? e : null;

    public static bool Flag(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    /// <summary>Every "type" inside a normalizer/pre-tokenizer/decoder, including those nested in a Sequence.</summary>
    public static IEnumerable<string> TypesIn(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().SelectMany(p =>
            p.Name == "type" && p.Value.ValueKind == JsonValueKind.String ? [p.Value.GetString()!] : TypesIn(p.Value)),
        JsonValueKind.Array => e.EnumerateArray().SelectMany(TypesIn),
        _ => [],
    };

    private (string, string) ReadMerge(JsonElement merge)
    {
        if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
            return (merge[0].GetString()!, merge[1].GetString()!);
        var parts = merge.ValueKind == JsonValueKind.String ? merge.GetString()!.Split(' ') : [];
        return parts.Length == 2 ? (parts[0], parts[1]) : throw Error($"merge {merge.GetRawText()} is not a pair");
    }

    public void Dispose() => _document.Dispose();
}
