using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace WebUI.Engine.Loading;

/// <summary>
/// Byte-level BPE from a Hugging Face tokenizer.json (GPT-2, Llama 3, Qwen2, SmolLM): added tokens are cut out
/// first, the rest is normalized (NFC etc.) and pre-tokenized by regex, each piece's UTF-8 bytes become GPT-2's
/// byte characters, and merges apply by rank. Microsoft.ML.Tokenizers' BpeTokenizer is not used: its
/// CompositePreTokenizer does not chain splits as HF's Sequence does (SmolLM2's Digits + ByteLevel gave other
/// ids than HF's), and its merge loop is quadratic in the length of a word.
/// </summary>
public sealed class ByteLevelBpeTokenizer : ITextTokenizer
{
    private readonly Dictionary<string, int> _vocab;
    private readonly int[] _byteIds;
    private readonly byte[][] _tokenBytes;
    private readonly bool[] _special;
    private readonly BpeMerger _merger;
    private readonly ByteLevelPreTokenizer _preTokenizer;
    private readonly AddedTokenSplitter _addedTokens;
    private readonly NormalizationForm? _normalization;
    /// <summary>Llama 3: a piece that is itself in the vocab is taken whole, without merging.</summary>
    private readonly bool _ignoreMerges;
    private readonly SpecialTokenSettings _settings;

    private ByteLevelBpeTokenizer(TokenizerJsonFile file, SpecialTokenSettings? settings = null)
    {
        _vocab = new Dictionary<string, int>(file.Vocab);
        _preTokenizer = ByteLevelPreTokenizer.FromJson(file);
        _addedTokens = new AddedTokenSplitter(file.AddedTokens);
        _normalization = ReadNormalization(file);
        _ignoreMerges = TokenizerJsonFile.Flag(file.Model, "ignore_merges");

        VocabSize = file.Vocab.Values.Concat(file.AddedTokens.Select(t => t.Id)).DefaultIfEmpty(-1).Max() + 1;
        _byteIds = Enumerable.Range(0, 256).Select(b => _vocab.GetValueOrDefault(ByteChars[b].ToString(), -1)).ToArray();
        _tokenBytes = new byte[VocabSize][];
        Array.Fill(_tokenBytes, []);
        foreach (var (piece, id) in file.Vocab) _tokenBytes[id] = BytesOf(piece);
        _special = new bool[VocabSize];
        foreach (var t in file.AddedTokens)
        {
            _special[t.Id] = t.Special;
            _tokenBytes[t.Id] = t.Special ? [] : Encoding.UTF8.GetBytes(t.Content);
        }

        var merges = new Dictionary<long, BpeMerger.Merge>();
        for (int rank = 0; rank < file.Merges.Count; rank++)
        {
            var (left, right) = file.Merges[rank];
            if (!_vocab.TryGetValue(left, out var l) || !_vocab.TryGetValue(right, out var r) || !_vocab.TryGetValue(left + right, out var merged))
                throw file.Error($"merge '{left} {right}' uses a token that is not in the vocab");
            merges.TryAdd(BpeMerger.Key(l, r), new BpeMerger.Merge(merged, rank));
        }
        _merger = new BpeMerger(merges);

        _settings = settings ?? SpecialTokenSettings.Read(Path.GetDirectoryName(Path.GetFullPath(file.Path)), file.Section("post_processor"),
            IdOf(file), new SpecialTokenSettings(null, [], false, null));
    }

    internal static ByteLevelBpeTokenizer FromJson(TokenizerJsonFile file) => new(file);

    /// <summary>The tokenizer.json a GGUF vocabulary was read as; null for one read from a file.</summary>
    private string? _ggufTokenizerJson;

    /// <summary>Writes the tokenizer.json that a GGUF vocabulary was read as (a HF folder's copy of a GGUF model's tokenizer).</summary>
    internal void WriteTokenizerJson(string path) => AtomicFile.WriteAllText(path,
        _ggufTokenizerJson ?? throw new InvalidOperationException("this tokenizer came from a tokenizer.json; copy that file instead"));

    /// <summary>A token as the vocabulary names it (an added token's content, or the byte-level piece).</summary>
    internal string PieceText(int id) =>
        _addedTokens.Tokens.FirstOrDefault(t => t.Id == id)?.Content ?? _vocab.FirstOrDefault(v => v.Value == id).Key ?? "";

    /// <summary>A GGUF "gpt2" vocabulary: tokens, "a b" merges, control/user-defined tokens as added tokens, and a
    /// pre-tokenizer llama.cpp names in tokenizer.ggml.pre.</summary>
    internal static ByteLevelBpeTokenizer FromGguf(string origin, string[] tokens, string[] merges, int[]? types, string preName, SpecialTokenSettings settings)
    {
        var preTokenizer = GgufPreTokenizers.Json(preName)
            ?? throw new InvalidModelException($"{origin}: tokenizer.ggml.pre '{preName}' is not supported (supported: {string.Join(", ", GgufPreTokenizers.Names)})");
        var vocab = new JsonObject();
        var added = new JsonArray();
        for (int id = 0; id < tokens.Length; id++)
        {
            if (!vocab.ContainsKey(tokens[id])) vocab[tokens[id]] = id;
            var type = (GgufTokenType)(types?[id] ?? (int)GgufTokenType.Normal);
            if (type is GgufTokenType.Control or GgufTokenType.UserDefined)
                added.Add(new JsonObject { ["id"] = id, ["content"] = tokens[id], ["special"] = type == GgufTokenType.Control });
        }
        var json = new JsonObject
        {
            ["added_tokens"] = added,
            ["pre_tokenizer"] = JsonNode.Parse(preTokenizer),
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode)m)]),
                ["ignore_merges"] = GgufPreTokenizers.IgnoresMerges(preName),
            },
        };
        var text = json.ToJsonString();
        using var file = TokenizerJsonFile.Parse(origin, text);
        return new ByteLevelBpeTokenizer(file, settings) { _ggufTokenizerJson = text };
    }

    /// <summary>This vocabulary as GGUF "gpt2" tokenizer metadata; the pre-tokenizer must be one llama.cpp knows.</summary>
    internal GgufVocabulary ToGguf()
    {
        var pre = GgufPreTokenizers.NameOf(_preTokenizer.Signature)
            ?? throw new InvalidOperationException("this tokenizer's pre-tokenizer has no llama.cpp equivalent (tokenizer.ggml.pre); GGUF export supports "
                + string.Join(", ", GgufPreTokenizers.Names));
        var tokens = new string?[VocabSize];
        var types = new int[VocabSize];
        foreach (var (piece, id) in _vocab) tokens[id] = piece;
        foreach (var t in _addedTokens.Tokens) (tokens[t.Id], types[t.Id]) = (t.Content, (int)(t.Special ? GgufTokenType.Control : GgufTokenType.UserDefined));
        for (int id = 0; id < VocabSize; id++)
            if (tokens[id] is null) (tokens[id], types[id]) = ($"[PAD{id}]", (int)GgufTokenType.Unused);
            else if (types[id] == 0) types[id] = (int)GgufTokenType.Normal;
        var merges = _merger.Merges.OrderBy(m => m.Value.Priority).Select(m => $"{tokens[(int)(m.Key >> 32)]} {tokens[(int)m.Key]}").ToArray();
        return new GgufVocabulary("gpt2", tokens!, types, Scores: null, merges, pre, AddSpacePrefix: false);
    }

    public int VocabSize { get; }
    public int? BosId => _settings.BosId;
    public IReadOnlyList<int> EosIds => _settings.EosIds;
    public bool AddsBos => _settings.AddsBos;
    public string? ChatTemplate => _settings.ChatTemplate;

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true) =>
        _addedTokens.Encode(text, addSpecialTokens && AddsBos ? BosId : null, (part, _, symbols, ids) =>
        {
            if (_normalization is { } form) part = part.Normalize(form);
            foreach (var piece in _preTokenizer.Split(part)) EncodePiece(piece, symbols, ids);
        });

    private void EncodePiece(string piece, List<int> symbols, List<int> ids)
    {
        var bytes = Encoding.UTF8.GetBytes(piece);
        if (_ignoreMerges && _vocab.TryGetValue(string.Concat(bytes.Select(b => ByteChars[b])), out var whole))
        {
            ids.Add(whole);
            return;
        }
        symbols.Clear();
        // A byte missing from the vocab is dropped, as HF's BPE does without an unk token.
        foreach (var b in bytes) if (_byteIds[b] >= 0) symbols.Add(_byteIds[b]);
        _merger.MergeInto(symbols, ids);
    }

    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids) bytes.AddRange(TokenBytes(id));
        return Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>Ids outside the vocab (padding rows of a larger embedding) contribute nothing.</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => id >= 0 && id < VocabSize ? _tokenBytes[id] : [];

    public bool IsSpecial(int id) => id >= 0 && id < VocabSize && _special[id];

    private static Func<string, int?> IdOf(TokenizerJsonFile file)
    {
        var added = file.AddedTokens.DistinctBy(t => t.Content).ToDictionary(t => t.Content, t => t.Id);
        return token => added.TryGetValue(token, out var id) || file.Vocab.TryGetValue(token, out id) ? id : null;
    }

    private static NormalizationForm? ReadNormalization(TokenizerJsonFile file)
    {
        var types = file.Section("normalizer") is { } n ? TokenizerJsonFile.TypesIn(n).Where(t => t != "Sequence").ToList() : [];
        return types switch
        {
            [] => null,
            ["NFC"] => NormalizationForm.FormC,
            ["NFKC"] => NormalizationForm.FormKC,
            ["NFD"] => NormalizationForm.FormD,
            ["NFKD"] => NormalizationForm.FormKD,
            _ => throw file.Error($"normalizer {string.Join(" + ", types)} is not supported for byte-level BPE (supported: none, NFC, NFKC, NFD, NFKD)"),
        };
    }

    /// <summary>GPT-2's byte-to-unicode map: printable bytes stand for themselves, the rest for U+0100 onwards.</summary>
    private static readonly char[] ByteChars = BuildByteChars();

    private static readonly Dictionary<char, byte> CharBytes =
        Enumerable.Range(0, 256).ToDictionary(b => ByteChars[b], b => (byte)b);

    private static char[] BuildByteChars()
    {
        var chars = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
            chars[b] = b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ' ? (char)b : (char)next++;
        return chars;
    }

    /// <summary>The raw bytes of a vocab piece; a character outside the byte map (none in a proper vocab) stays UTF-8.</summary>
    private static byte[] BytesOf(string piece)
    {
        var bytes = new List<byte>(piece.Length);
        foreach (var c in piece)
        {
            if (CharBytes.TryGetValue(c, out var b)) bytes.Add(b);
            else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
        }
        return [.. bytes];
    }
}
