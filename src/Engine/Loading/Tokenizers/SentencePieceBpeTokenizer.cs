using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace WebUI.Engine.Loading;

/// <summary>
/// SentencePiece BPE with byte fallback (Llama 2, llama2.c), from llama2.c's tokenizer.bin or a HF Llama-2-style
/// tokenizer.json. Encoding: a dummy-prefix space goes before the text, every code point becomes its piece (or its
/// UTF-8 bytes as &lt;0xNN&gt; pieces), then adjacent pairs merge, best priority first and leftmost on ties.
/// Priority is the merged piece's score for tokenizer.bin (llama2.c's encode()) and, for tokenizer.json, the
/// position of the first merge that makes the piece (SentencePiece's rule; HF ranks each pair separately, which
/// differs only when two splits of one piece compete).
/// Decoding: <see cref="TokenBytes"/> gives a piece's raw bytes with "▁" as a space, so a stream starts with the
/// dummy-prefix space; <see cref="Decode"/> removes one leading space, as HF's Strip decoder does, so that
/// Decode(Encode(text)) == text.
/// Pieces are held with spaces, not "▁": llama2.c's tokenizer.bin has them so, and llama2.c looks a "▁" in the text
/// up as itself, where a tokenizer.json reads it as a space.
/// </summary>
public sealed class SentencePieceBpeTokenizer : ITextTokenizer
{
    /// <summary>
    /// Where the dummy-prefix space goes: before every text segment (llama2.c, HF's Prepend normalizer); before every
    /// segment not starting with a space (HF Metaspace "always"); the same but only at the start of the text
    /// (Metaspace "first", so not after a special token); or nowhere.
    /// </summary>
    private enum DummyPrefix { Always, UnlessSpace, FirstUnlessSpace, Never }

    private readonly string?[] _pieces;
    private readonly bool[] _control;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _pieceIdsBySpan;
    private readonly int[] _byteIds;
    private readonly byte[][] _tokenBytes;
    private readonly int? _unkId;
    private readonly bool _fuseUnk;
    private readonly BpeMerger _merger;
    private readonly DummyPrefix _prefix;
    /// <summary>Metaspace with split: merges stay within a word (a space and what follows it).</summary>
    private readonly bool _splitWords;
    /// <summary>tokenizer.json: a "▁" in the text is a space, as HF normalizes it (llama2.c looks it up as itself).</summary>
    private readonly bool _metaspaceIsSpace;
    private readonly AddedTokenSplitter _addedTokens;
    private readonly SpecialTokenSettings _settings;

    private SentencePieceBpeTokenizer(string?[] pieces, bool[] control, Dictionary<string, int> pieceIds,
        Dictionary<long, BpeMerger.Merge> merges, int? unkId, bool fuseUnk, DummyPrefix prefix, bool splitWords,
        bool metaspaceIsSpace, IEnumerable<AddedToken> addedTokens, SpecialTokenSettings settings)
    {
        _pieces = pieces;
        _control = control;
        _pieceIdsBySpan = pieceIds.GetAlternateLookup<ReadOnlySpan<char>>();
        _byteIds = Enumerable.Range(0, 256).Select(b => pieceIds.GetValueOrDefault(ByteTokenPiece(b), -1)).ToArray();
        _tokenBytes = pieces.Select((p, id) => control[id] || p is null ? [] : ByteOfToken(p) is int b ? [(byte)b] : Encoding.UTF8.GetBytes(p)).ToArray();
        _merger = new BpeMerger(merges);
        _unkId = unkId;
        _fuseUnk = fuseUnk;
        _prefix = prefix;
        _splitWords = splitWords;
        _metaspaceIsSpace = metaspaceIsSpace;
        _addedTokens = new AddedTokenSplitter(addedTokens);
        _settings = settings;
    }

    /// <summary>The ids of the pieces text can be made of: all but control pieces, the first id of a repeated one.</summary>
    private static Dictionary<string, int> PieceIds(string?[] pieces, bool[] control)
    {
        var ids = new Dictionary<string, int>();
        for (int id = 0; id < pieces.Length; id++)
            if (pieces[id] is { } p && !control[id]) ids.TryAdd(p, id);
        return ids;
    }

    public int VocabSize => _pieces.Length;
    public int? BosId => _settings.BosId;
    public IReadOnlyList<int> EosIds => _settings.EosIds;
    public bool AddsBos => _settings.AddsBos;
    public string? ChatTemplate => _settings.ChatTemplate;

    /// <summary>
    /// llama2.c's tokenizer.bin: int32 max_token_length, then per token a float32 score, an int32 byte length and
    /// the bytes. 0 is &lt;unk&gt;, 1 BOS, 2 EOS, 3..258 the byte tokens; llama2.c always puts BOS first.
    /// </summary>
    internal static SentencePieceBpeTokenizer FromLlama2c(string path, int vocabSize)
    {
        if (!File.Exists(path)) throw new InvalidModelException($"{path}: not found");
        if (vocabSize < 259) throw new InvalidModelException($"{path}: vocab size {vocabSize} is below the 259 control and byte tokens");
        var pieces = new string?[vocabSize];
        var scores = new float[vocabSize];
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            reader.ReadInt32();
            for (int id = 0; id < vocabSize; id++)
            {
                scores[id] = reader.ReadSingle();
                int length = reader.ReadInt32();
                if (length < 0 || length > 1 << 16) throw new InvalidModelException($"{path}: token {id} has length {length}");
                var bytes = reader.ReadBytes(length);
                if (bytes.Length < length) throw new EndOfStreamException();
                pieces[id] = Encoding.UTF8.GetString(bytes);
            }
        }
        catch (EndOfStreamException e) { throw new InvalidModelException($"{path}: ends before its {vocabSize} tokens", e); }
        (pieces[0], pieces[1], pieces[2]) = ("<unk>", "<s>", "</s>"); // tokenizer.bin has "\n<s>\n"; HF names them so
        var control = new bool[vocabSize];
        control[0] = control[1] = control[2] = true;
        return FromScores(pieces, scores, control, unkId: 0, DummyPrefix.Always, metaspaceIsSpace: false, addedTokens: [],
            new SpecialTokenSettings(BosId: 1, EosIds: [2], AddsBos: true, ChatTemplate: null));
    }

    /// <summary>
    /// A GGUF "llama" vocabulary (tokenizer.ggml.tokens, scores, token_type), encoded as llama.cpp's SPM tokenizer does:
    /// "▁" for spaces, a space prefix unless add_space_prefix is false, merges by the merged piece's score.
    /// Control and user-defined tokens are cut out of the text as HF's added tokens are.
    /// </summary>
    internal static SentencePieceBpeTokenizer FromGguf(string[] tokens, float[]? scores, int[]? types, bool addSpacePrefix, SpecialTokenSettings settings)
    {
        var pieces = new string?[tokens.Length];
        var control = new bool[tokens.Length];
        var added = new List<AddedToken>();
        int? unkId = null;
        for (int id = 0; id < tokens.Length; id++)
        {
            var type = (GgufTokenType)(types?[id] ?? (int)GgufTokenType.Normal);
            control[id] = type is GgufTokenType.Control or GgufTokenType.Unknown or GgufTokenType.Unused;
            pieces[id] = control[id] ? tokens[id] : tokens[id].Replace('▁', ' ');
            if (type == GgufTokenType.Unknown) unkId ??= id;
            if (type is GgufTokenType.Control or GgufTokenType.UserDefined) added.Add(new AddedToken(id, tokens[id], control[id], false, false));
        }
        return FromScores(pieces, scores ?? new float[tokens.Length], control, unkId, addSpacePrefix ? DummyPrefix.Always : DummyPrefix.Never,
            metaspaceIsSpace: true, added, settings);
    }

    /// <summary>SentencePiece BPE by score: any two pieces whose concatenation is a piece may merge, the best score first.</summary>
    private static SentencePieceBpeTokenizer FromScores(string?[] pieces, float[] scores, bool[] control, int? unkId, DummyPrefix prefix,
        bool metaspaceIsSpace, IEnumerable<AddedToken> addedTokens, SpecialTokenSettings settings)
    {
        // Equal scores share a priority, so ties go leftmost as in llama2.c and llama.cpp.
        var rankOfScore = scores.Distinct().OrderDescending().Select((s, rank) => (s, rank)).ToDictionary(x => x.s, x => x.rank);
        var ids = PieceIds(pieces, control);
        return new SentencePieceBpeTokenizer(pieces, control, ids, EveryMerge(ids, id => rankOfScore[scores[id]]),
            unkId, fuseUnk: false, prefix, splitWords: false, metaspaceIsSpace, addedTokens, settings);
    }

    /// <summary>
    /// This vocabulary as GGUF's "llama" tokenizer metadata. A piece's score is minus its merge priority, so
    /// llama.cpp merges in this tokenizer's order; pieces no merge makes score below every merged one.
    /// </summary>
    internal GgufVocabulary ToGguf()
    {
        var priority = new Dictionary<int, int>();
        foreach (var merge in _merger.Merges.Values)
            priority[merge.MergedId] = Math.Min(priority.GetValueOrDefault(merge.MergedId, int.MaxValue), merge.Priority);
        float unmerged = -(priority.Values.DefaultIfEmpty(0).Max() + 1f);
        var tokens = new string[VocabSize];
        var scores = new float[VocabSize];
        var types = new int[VocabSize];
        for (int id = 0; id < VocabSize; id++)
        {
            var piece = _pieces[id];
            tokens[id] = piece is null ? $"[PAD{id}]" : _control[id] ? piece : piece.Replace(' ', '▁');
            scores[id] = priority.TryGetValue(id, out var p) ? -p : unmerged;
            types[id] = (int)(piece is null ? GgufTokenType.Unused : id == _unkId ? GgufTokenType.Unknown : _control[id] ? GgufTokenType.Control
                : ByteOfToken(piece) is not null ? GgufTokenType.Byte : _addedTokens.Contains(id) ? GgufTokenType.UserDefined : GgufTokenType.Normal);
        }
        return new GgufVocabulary("llama", tokens, types, scores, Merges: null, PreTokenizer: null, AddSpacePrefix: _prefix != DummyPrefix.Never);
    }

    /// <summary>Every split of every piece into two pieces: what llama2.c may merge (it joins the strings and looks them up).</summary>
    private static Dictionary<long, BpeMerger.Merge> EveryMerge(Dictionary<string, int> ids, Func<int, int> priority)
    {
        var merges = new Dictionary<long, BpeMerger.Merge>();
        foreach (var (piece, id) in ids)
            for (int i = 1; i < piece.Length; i++)
                if (!char.IsLowSurrogate(piece[i]) && ids.TryGetValue(piece[..i], out var left) && ids.TryGetValue(piece[i..], out var right))
                    merges[BpeMerger.Key(left, right)] = new BpeMerger.Merge(id, priority(id));
        return merges;
    }

    /// <summary>A HF tokenizer.json whose BPE model has byte_fallback or a Metaspace/Prepend "▁" step (Llama 2, Mistral).</summary>
    internal static SentencePieceBpeTokenizer FromJson(TokenizerJsonFile file)
    {
        var (prefix, splitWords) = ReadMetaspace(file);
        int size = file.Vocab.Values.Concat(file.AddedTokens.Select(t => t.Id)).DefaultIfEmpty(-1).Max() + 1;
        var pieces = new string?[size];
        var control = new bool[size];
        foreach (var (piece, id) in file.Vocab) pieces[id] = piece.Replace('▁', ' ');
        foreach (var t in file.AddedTokens) (pieces[t.Id], control[t.Id]) = (t.Content, t.Special);
        var ids = PieceIds(pieces, control);

        var merges = new Dictionary<long, BpeMerger.Merge>();
        var firstRank = new Dictionary<int, int>();
        for (int rank = 0; rank < file.Merges.Count; rank++)
        {
            var (left, right) = (file.Merges[rank].Left.Replace('▁', ' '), file.Merges[rank].Right.Replace('▁', ' '));
            if (!ids.TryGetValue(left, out var l) || !ids.TryGetValue(right, out var r) || !ids.TryGetValue(left + right, out var merged))
                throw file.Error($"merge '{file.Merges[rank].Left} {file.Merges[rank].Right}' uses a token that is not in the vocab");
            merges.TryAdd(BpeMerger.Key(l, r), new BpeMerger.Merge(merged, firstRank.TryAdd(merged, rank) ? rank : firstRank[merged]));
        }

        var unkToken = file.Model.TryGetProperty("unk_token", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        int? unkId = unkToken is not null && file.Vocab.TryGetValue(unkToken, out var unk) ? unk : null;
        int? IdOf(string text) => ids.TryGetValue(text, out var id) ? id : Array.IndexOf(pieces, text) is var c and >= 0 ? c : null;
        var settings = SpecialTokenSettings.Read(Path.GetDirectoryName(Path.GetFullPath(file.Path)), file.Section("post_processor"), IdOf,
            new SpecialTokenSettings(IdOf("<s>"), IdOf("</s>") is int eos ? [eos] : [], AddsBos: false, ChatTemplate: null));
        return new SentencePieceBpeTokenizer(pieces, control, ids, merges, unkId, TokenizerJsonFile.Flag(file.Model, "fuse_unk"),
            prefix, splitWords, metaspaceIsSpace: true, file.AddedTokens, settings);
    }

    /// <summary>The dummy prefix and word splitting of a normalizer Prepend("▁") or a Metaspace pre-tokenizer.</summary>
    private static (DummyPrefix Prefix, bool SplitWords) ReadMetaspace(TokenizerJsonFile file)
    {
        var normalizerTypes = file.Section("normalizer") is { } n ? TokenizerJsonFile.TypesIn(n).ToHashSet() : [];
        if (normalizerTypes.Except(["Sequence", "Prepend", "Replace"]).FirstOrDefault() is { } unsupported)
            throw file.Error($"normalizer '{unsupported}' is not supported for SentencePiece-style BPE (supported: Prepend, Replace)");
        if (file.Section("pre_tokenizer") is not { } pre)
            return (normalizerTypes.Contains("Prepend") ? DummyPrefix.Always : DummyPrefix.Never, false);

        if (pre.GetProperty("type").GetString() != "Metaspace")
            throw file.Error($"pre-tokenizer '{pre.GetProperty("type").GetString()}' is not supported for SentencePiece-style BPE (supported: Metaspace)");
        // Older files have add_prefix_space (and always split); newer ones prepend_scheme and split.
        var prefix = pre.TryGetProperty("prepend_scheme", out var scheme) ? scheme.GetString() switch
        {
            "always" => DummyPrefix.UnlessSpace,
            "first" => DummyPrefix.FirstUnlessSpace,
            _ => DummyPrefix.Never,
        } : pre.TryGetProperty("add_prefix_space", out var add) && add.ValueKind == JsonValueKind.False ? DummyPrefix.Never : DummyPrefix.UnlessSpace;
        return (prefix, !pre.TryGetProperty("split", out var split) || split.ValueKind != JsonValueKind.False);
    }

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true) =>
        _addedTokens.Encode(text, addSpecialTokens && AddsBos ? BosId : null, (part, start, symbols, ids) =>
        {
            if (_metaspaceIsSpace) part = part.Replace('▁', ' ');
            if (_prefix switch
                {
                    DummyPrefix.Always => true,
                    DummyPrefix.UnlessSpace => !part.StartsWith(' '),
                    DummyPrefix.FirstUnlessSpace => start == 0 && !part.StartsWith(' '),
                    _ => false,
                }) part = " " + part;
            if (!_splitWords) { EncodeRun(part, symbols, ids); return; }
            for (int from = 0, end; from < part.Length; from = end)
            {
                end = part.IndexOf(' ', from + 1) is var space and >= 0 ? space : part.Length;
                EncodeRun(part[from..end], symbols, ids);
            }
        });

    /// <summary>Code points to pieces (bytes as &lt;0xNN&gt; where a code point has no piece), then merges.</summary>
    private void EncodeRun(string run, List<int> symbols, List<int> ids)
    {
        symbols.Clear();
        Span<char> chars = stackalloc char[2];
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in run.EnumerateRunes())
        {
            if (_pieceIdsBySpan.TryGetValue(chars[..rune.EncodeToUtf16(chars)], out var id)) { symbols.Add(id); continue; }
            var bytes = utf8[..rune.EncodeToUtf8(utf8)];
            bool allBytes = true;
            foreach (var b in bytes) allBytes &= _byteIds[b] >= 0;
            if (allBytes) foreach (var b in bytes) symbols.Add(_byteIds[b]);
            else if (_unkId is int unk && !(_fuseUnk && symbols.Count > 0 && symbols[^1] == unk)) symbols.Add(unk);
        }
        _merger.MergeInto(symbols, ids);
    }

    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids) bytes.AddRange(TokenBytes(id));
        var text = Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(bytes));
        return _prefix != DummyPrefix.Never && text.StartsWith(' ') ? text[1..] : text;
    }

    /// <summary>Ids outside the vocab (padding rows of a larger embedding) contribute nothing.</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => id >= 0 && id < VocabSize ? _tokenBytes[id] : [];

    public bool IsSpecial(int id) => id >= 0 && id < VocabSize && _control[id];

    internal int? UnknownId => _unkId;

    /// <summary>A piece as its file names it ("&lt;s&gt;", "▁the"), for tokenizer_config.json's special tokens.</summary>
    internal string PieceText(int id) => _control[id] ? _pieces[id]! : (_pieces[id] ?? "").Replace(' ', '▁');

    /// <summary>
    /// Writes a HF Llama-2-style tokenizer.json (byte_fallback BPE, "▁" normalizer, Strip decoder, BOS template) that
    /// encodes as this tokenizer does. Its merges are every split of every piece into two pieces, the pieces in order
    /// of priority (best first), so loading it back gives the same merge priorities.
    /// </summary>
    public void WriteTokenizerJson(string path)
    {
        string Name(int id) => PieceText(id);
        var names = Enumerable.Range(0, VocabSize).Where(id => _pieces[id] is not null).ToList();
        if (names.GroupBy(Name).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
            throw new InvalidOperationException($"piece '{duplicate.Key}' appears more than once; a tokenizer.json vocab cannot hold that");
        var merges = _merger.Merges.OrderBy(m => m.Value.Priority).ThenBy(m => m.Value.MergedId).ThenBy(m => m.Key)
            .Select(m => $"{Name((int)(m.Key >> 32))} {Name((int)m.Key)}");

        using var stream = File.Create(path);
        // Relaxed escaping keeps "▁" and other pieces readable, as in HF's own files.
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("version", "1.0");
        json.WriteNull("truncation");
        json.WriteNull("padding");
        json.WriteStartArray("added_tokens");
        foreach (var id in names.Where(id => _control[id]))
        {
            json.WriteStartObject();
            json.WriteNumber("id", id);
            json.WriteString("content", Name(id));
            foreach (var flag in new[] { "single_word", "lstrip", "rstrip", "normalized" }) json.WriteBoolean(flag, false);
            json.WriteBoolean("special", true);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        WriteNormalizerAndPreTokenizer(json);
        WritePostProcessor(json, BosId is int bos && AddsBos ? Name(bos) : null, BosId);
        WriteDecoder(json);

        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("dropout");
        if (_unkId is int unk) json.WriteString("unk_token", Name(unk)); else json.WriteNull("unk_token");
        json.WriteNull("continuing_subword_prefix");
        json.WriteNull("end_of_word_suffix");
        json.WriteBoolean("fuse_unk", true);
        json.WriteBoolean("byte_fallback", true);
        json.WriteStartObject("vocab");
        foreach (var id in names) json.WriteNumber(Name(id), id);
        json.WriteEndObject();
        json.WriteStartArray("merges");
        foreach (var merge in merges) json.WriteStringValue(merge);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private void WriteNormalizerAndPreTokenizer(Utf8JsonWriter json)
    {
        if (_prefix is DummyPrefix.UnlessSpace or DummyPrefix.FirstUnlessSpace || _splitWords)
        {
            json.WriteNull("normalizer");
            json.WriteStartObject("pre_tokenizer");
            json.WriteString("type", "Metaspace");
            json.WriteString("replacement", "▁");
            json.WriteString("prepend_scheme", _prefix switch
            {
                DummyPrefix.UnlessSpace => "always",
                DummyPrefix.FirstUnlessSpace => "first",
                _ => "never",
            });
            json.WriteBoolean("split", _splitWords);
            json.WriteEndObject();
            return;
        }
        json.WriteStartObject("normalizer");
        json.WriteString("type", "Sequence");
        json.WriteStartArray("normalizers");
        if (_prefix == DummyPrefix.Always)
        {
            json.WriteStartObject();
            json.WriteString("type", "Prepend");
            json.WriteString("prepend", "▁");
            json.WriteEndObject();
        }
        WriteReplace(json, " ", "▁");
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteNull("pre_tokenizer");
    }

    private static void WritePostProcessor(Utf8JsonWriter json, string? bosName, int? bosId)
    {
        if (bosName is null) { json.WriteNull("post_processor"); return; }
        json.WriteStartObject("post_processor");
        json.WriteString("type", "TemplateProcessing");
        foreach (var (name, sequences) in new[] { ("single", new[] { "A" }), ("pair", new[] { "A", "B" }) })
        {
            json.WriteStartArray(name);
            for (int typeId = 0; typeId < sequences.Length; typeId++)
            {
                json.WriteStartObject();
                json.WriteStartObject("SpecialToken");
                json.WriteString("id", bosName);
                json.WriteNumber("type_id", typeId);
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteStartObject();
                json.WriteStartObject("Sequence");
                json.WriteString("id", sequences[typeId]);
                json.WriteNumber("type_id", typeId);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        json.WriteStartObject("special_tokens");
        json.WriteStartObject(bosName);
        json.WriteString("id", bosName);
        json.WriteStartArray("ids");
        json.WriteNumberValue(bosId!.Value);
        json.WriteEndArray();
        json.WriteStartArray("tokens");
        json.WriteStringValue(bosName);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private void WriteDecoder(Utf8JsonWriter json)
    {
        json.WriteStartObject("decoder");
        json.WriteString("type", "Sequence");
        json.WriteStartArray("decoders");
        WriteReplace(json, "▁", " ");
        json.WriteStartObject();
        json.WriteString("type", "ByteFallback");
        json.WriteEndObject();
        json.WriteStartObject();
        json.WriteString("type", "Fuse");
        json.WriteEndObject();
        json.WriteStartObject();
        json.WriteString("type", "Strip");
        json.WriteString("content", " ");
        json.WriteNumber("start", _prefix == DummyPrefix.Never ? 0 : 1);
        json.WriteNumber("stop", 0);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteReplace(Utf8JsonWriter json, string pattern, string content)
    {
        json.WriteStartObject();
        json.WriteString("type", "Replace");
        json.WriteStartObject("pattern");
        json.WriteString("String", pattern);
        json.WriteEndObject();
        json.WriteString("content", content);
        json.WriteEndObject();
    }

    private static string ByteTokenPiece(int b) => $"<0x{b:X2}>";

    /// <summary>The byte of a &lt;0xNN&gt; piece, or null.</summary>
    private static int? ByteOfToken(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x") && piece[5] == '>' && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var b) ? b : null;
}
