using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Tests;

/// <summary>
/// Tokenizers against real files in shared/models. Expected ids come from Hugging Face's Rust tokenizers (SmolLM2,
/// and loading the tokenizer.json written here) and from llama2.c's encode() algorithm run independently in Python
/// (tok512.bin, Llama 2's tokenizer.bin).
/// </summary>
public sealed class TokenizerTests : IDisposable
{
    private const string NonAscii = "Zoë's café — 東京 🚀 naïve";

    private static readonly Lazy<ITextTokenizer> SmolLm2 = new(() => TokenizerLoader.FromFolder(SharedModels.Dir("smollm2-135m-instruct-tokenizer")));
    private static readonly Lazy<ITextTokenizer> Tok512 = new(() => TokenizerLoader.FromLlama2c(Tok512Path, 512));
    private static readonly Lazy<ITextTokenizer> Llama2 = new(() =>
        TokenizerLoader.FromLlama2c(Path.Combine(SharedModels.Dir("llama2c-tokenizer"), "tokenizer.bin"), 32000));
    private static string Tok512Path => Path.Combine(SharedModels.Dir("stories260K"), "tok512.bin");

    private readonly string _temp = Directory.CreateTempSubdirectory("tokenizer-tests-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    // ---- byte-level BPE (SmolLM2's tokenizer.json) ----

    [Fact]
    public void SmolLm2_HelloWorld_IsTwoTokens()
    {
        // "Hello" is 19556 and "Ġworld" 905 in its vocab; HF's tokenizers gives the same.
        Assert.Equal([19556, 905], SmolLm2.Value.Encode("Hello world"));
        Assert.IsType<ByteLevelBpeTokenizer>(SmolLm2.Value);
        Assert.Equal(49152, SmolLm2.Value.VocabSize);
    }

    [Fact]
    public void SmolLm2_SpecialTokensInText_AreSingleIds()
    {
        var ids = SmolLm2.Value.Encode("<|im_start|>user\nHi<|im_end|>");
        Assert.Equal([1, 4093, 198, 26843, 2], ids);
        Assert.True(SmolLm2.Value.IsSpecial(1));
        Assert.True(SmolLm2.Value.TokenBytes(2).IsEmpty);
        Assert.Equal("user\nHi", SmolLm2.Value.Decode(ids));
    }

    [Fact]
    public void SmolLm2_MatchesHuggingFace_OnNonAsciiDigitsAndAstralLetters()
    {
        Assert.Equal([74, 95, 26547, 506, 37366, 1841, 17097, 247, 126, 16736, 122, 15107, 244, 218, 15486, 46494], SmolLm2.Value.Encode(NonAscii));
        // Its Digits pre-tokenizer isolates each digit; 𝐀 and 𝟙 are a letter and a digit outside the BMP.
        Assert.Equal([25276, 216, 33, 34, 35, 36, 37, 1792], SmolLm2.Value.Encode("abc 12345 x"));
        Assert.Equal([81, 45100, 218, 82, 216, 23159, 249, 243, 23159, 249, 244, 35, 1792], SmolLm2.Value.Encode("a𝐀b 𝟙𝟚3 x"));
    }

    [Fact]
    public void SmolLm2_EqualRanks_MergeLeftmostFirst()
    {
        // "aaa" is "aa" + "a", not "a" + "aa".
        Assert.Equal([11510, 81, 303, 764, 263, 568, 1892, 3718, 1792, 10969, 45587, 446, 2031, 32543, 2026, 1903, 5398, 26, 216, 15750, 110, 13481, 37049, 7329, 42561, 42561],
            SmolLm2.Value.Encode("aaa lll ooo zzz xxx ----- ===== ....... ******* ~~~~~ ^^^^^ qqqqq"));
    }

    [Theory]
    [InlineData(NonAscii)]
    [InlineData("  two  spaces\n\n\tand tabs, 3.14159 + 2,000 = ?\r\n")]
    [InlineData("emoji 👩‍👩‍👧‍👦 flags 🇫🇷 русский ελληνικά العربية")]
    public void SmolLm2_RoundTripsAndTokenBytesAreTheText(string text)
    {
        var ids = SmolLm2.Value.Encode(text);
        Assert.Equal(text, SmolLm2.Value.Decode(ids));
        Assert.Equal(Encoding.UTF8.GetBytes(text), ids.SelectMany(id => SmolLm2.Value.TokenBytes(id).ToArray()));
    }

    [Fact]
    public void SmolLm2_SpecialIds_ComeFromConfigJson()
    {
        // The folder has no tokenizer_config.json; config.json says bos 1 and eos 2, and nothing adds BOS.
        Assert.Equal(1, SmolLm2.Value.BosId);
        Assert.Equal([2], SmolLm2.Value.EosIds);
        Assert.False(SmolLm2.Value.AddsBos);
        Assert.Null(SmolLm2.Value.ChatTemplate);
    }

    [Fact]
    public void ByteLevel_ReadsTokenizerConfigGenerationConfigAndTemplate()
    {
        WriteLlama3StyleTokenizer(_temp);
        File.WriteAllText(Path.Combine(_temp, "tokenizer_config.json"), """
            {"bos_token": {"__type": "AddedToken", "content": "<|begin_of_text|>"}, "eos_token": "<|eot_id|>",
             "chat_template": [{"name": "tool_use", "template": "T2"}, {"name": "default", "template": "T1"}]}
            """);
        File.WriteAllText(Path.Combine(_temp, "generation_config.json"), """{"eos_token_id": [302, 301]}""");

        var tokenizer = TokenizerLoader.FromFolder(_temp);

        Assert.Equal(300, tokenizer.BosId);
        Assert.Equal([301, 302], tokenizer.EosIds);
        Assert.True(tokenizer.AddsBos); // from the post-processor template
        Assert.Equal("T1", tokenizer.ChatTemplate);
        Assert.Equal([300, 259, 264, 301], tokenizer.Encode("hello world<|eot_id|>"));
        Assert.Equal([259, 264, 10, 265], tokenizer.Encode("hello world\nhi", addSpecialTokens: false));
        Assert.Equal("hello world", tokenizer.Decode([300, 259, 264, 301]));
    }

    [Fact]
    public void ByteLevel_AddBosTokenFalse_OverridesTheTemplate()
    {
        WriteLlama3StyleTokenizer(_temp);
        File.WriteAllText(Path.Combine(_temp, "tokenizer_config.json"), """{"add_bos_token": false, "chat_template": "T"}""");

        var tokenizer = TokenizerLoader.FromFolder(_temp);

        Assert.False(tokenizer.AddsBos);
        Assert.Equal(300, tokenizer.BosId);
        Assert.Equal([259], tokenizer.Encode("hello"));
        Assert.Equal("T", tokenizer.ChatTemplate);
    }

    // ---- SentencePiece BPE: llama2.c tokenizer.bin ----

    [Fact]
    public void Tok512_OnceUponATime_MatchesLlama2cEncode()
    {
        // llama2.c's encode(): " Once upon a time" by best-scored merges; also the start of stories260K's sample.
        Assert.Equal([1, 403, 407, 261, 378], Tok512.Value.Encode("Once upon a time"));
        Assert.Equal([403, 407, 261, 378], Tok512.Value.Encode("Once upon a time", addSpecialTokens: false));
        Assert.Equal("Once upon a time", Tok512.Value.Decode([1, 403, 407, 261, 378]));
        Assert.Equal(" Once", Encoding.UTF8.GetString(Tok512.Value.TokenBytes(403)));
        Assert.Equal((1, 2), (Tok512.Value.BosId, Tok512.Value.EosIds.Single()));
    }

    [Fact]
    public void Tok512_UnknownCharacters_FallBackToBytes()
    {
        // 🚀 is F0 9F 9A 80, byte tokens are byte + 3.
        Assert.Equal([410, 469, 414, 198, 174, 439, 419, 280, 412, 431, 485, 410, 481, 410, 233, 160, 180, 231, 189, 175, 410, 243, 162, 157, 131, 297, 412, 198, 178, 360],
            Tok512.Value.Encode(NonAscii, addSpecialTokens: false));
    }

    [Fact]
    public void Llama2_MatchesLlama2cEncode()
    {
        Assert.Equal([9038, 2501, 263, 931], Llama2.Value.Encode("Once upon a time", addSpecialTokens: false));
        Assert.Equal([17421, 30083, 29915, 29879, 274, 28059, 813, 29871, 30591, 30675, 29871, 243, 162, 157, 131, 1055, 30085, 345],
            Llama2.Value.Encode(NonAscii, addSpecialTokens: false));
    }

    [Fact]
    public void Llama2c_EqualScores_MergeLeftmostFirst()
    {
        // " x" then "ll" + "l" in tok512, "aa" + "a" in Llama 2: llama2.c takes the first best pair.
        Assert.Equal([410, 444, 306, 421], Tok512.Value.Encode("xlll", addSpecialTokens: false));
        Assert.Equal([921, 7340, 29874], Llama2.Value.Encode("xaaa", addSpecialTokens: false));
    }

    [Theory]
    [InlineData(NonAscii)]
    [InlineData("  leading, double  and trailing spaces  ")]
    [InlineData("lines\n\n\ttabbed\r\n𝐀𝟙 👩‍👩‍👧‍👦")]
    public void SentencePiece_RoundTripsAndTokenBytesAreSpacePlusText(string text)
    {
        foreach (var tokenizer in new[] { Tok512.Value, Llama2.Value })
        {
            var ids = tokenizer.Encode(text, addSpecialTokens: false);
            Assert.Equal(text, tokenizer.Decode(ids));
            Assert.Equal(Encoding.UTF8.GetBytes(" " + text), ids.SelectMany(id => tokenizer.TokenBytes(id).ToArray()));
        }
    }

    [Fact]
    public void Llama2c_TruncatedFile_NamesTheFile()
    {
        var path = Path.Combine(_temp, "tokenizer.bin");
        File.WriteAllBytes(path, File.ReadAllBytes(Tok512Path)[..1000]);

        var e = Assert.Throws<InvalidModelException>(() => TokenizerLoader.FromLlama2c(path, 512));
        Assert.Contains(path, e.Message);
    }

    // ---- the written tokenizer.json ----

    [Fact]
    public void WrittenTokenizerJson_ReloadsToTheSameIds()
    {
        foreach (var source in new[] { Tok512.Value, Llama2.Value })
        {
            var folder = Directory.CreateDirectory(Path.Combine(_temp, source.VocabSize.ToString())).FullName;
            ((SentencePieceBpeTokenizer)source).WriteTokenizerJson(Path.Combine(folder, "tokenizer.json"));

            var reloaded = TokenizerLoader.FromFolder(folder);

            Assert.IsType<SentencePieceBpeTokenizer>(reloaded);
            Assert.Equal((source.VocabSize, source.BosId, source.AddsBos), (reloaded.VocabSize, reloaded.BosId, reloaded.AddsBos));
            Assert.Equal(source.EosIds, reloaded.EosIds);
            foreach (var text in SampleTexts().Append(NonAscii))
            {
                var ids = reloaded.Encode(text);
                Assert.Equal(source.Encode(text), ids);
                Assert.Equal(text, reloaded.Decode(ids));
            }
        }
    }

    [Fact]
    public void WrittenTokenizerJson_HasHuggingFaceLlamaLayout()
    {
        var path = Path.Combine(_temp, "tokenizer.json");
        ((SentencePieceBpeTokenizer)Tok512.Value).WriteTokenizerJson(path);

        using var json = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = json.RootElement;
        var model = root.GetProperty("model");
        Assert.Equal("BPE", model.GetProperty("type").GetString());
        Assert.True(model.GetProperty("byte_fallback").GetBoolean());
        Assert.Equal("<unk>", model.GetProperty("unk_token").GetString());
        Assert.Equal(512, model.GetProperty("vocab").EnumerateObject().Count());
        Assert.Equal(3, model.GetProperty("vocab").GetProperty("<0x00>").GetInt32());
        Assert.Equal(259, model.GetProperty("vocab").GetProperty("▁t").GetInt32());
        Assert.Equal("▁ t", model.GetProperty("merges")[0].GetString()); // the best-scored piece's split comes first
        Assert.Equal(["<unk>", "<s>", "</s>"], root.GetProperty("added_tokens").EnumerateArray().Select(t => t.GetProperty("content").GetString()));
        Assert.Equal(["Prepend", "Replace"], root.GetProperty("normalizer").GetProperty("normalizers").EnumerateArray().Select(n => n.GetProperty("type").GetString()));
        Assert.Equal(["Replace", "ByteFallback", "Fuse", "Strip"], root.GetProperty("decoder").GetProperty("decoders").EnumerateArray().Select(n => n.GetProperty("type").GetString()));
        Assert.Equal("<s>", root.GetProperty("post_processor").GetProperty("single")[0].GetProperty("SpecialToken").GetProperty("id").GetString());
    }

    [Fact]
    public void SentencePieceJson_MetaspaceFirst_AddsNoPrefixAfterASpecialToken()
    {
        // Expected ids from HF's tokenizers on the same file: "first" prefixes only the start of the text, and a
        // Metaspace prefix is not added to a segment that already starts with a space.
        var path = Path.Combine(_temp, "tokenizer.json");
        ((SentencePieceBpeTokenizer)Tok512.Value).WriteTokenizerJson(path);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["normalizer"] = null;
        json["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "first", ["split"] = false };
        File.WriteAllText(path, json.ToJsonString());

        var tokenizer = TokenizerLoader.FromFolder(_temp);

        Assert.Equal([1, 441, 416, 331, 407, 2, 261, 378], tokenizer.Encode("<s>Once upon</s> a time", addSpecialTokens: false));
        Assert.Equal([403, 407, 261, 410, 378], tokenizer.Encode("Once upon a  time", addSpecialTokens: false));
    }

    // ---- SentencePiece tokenizer.model through Microsoft.ML.Tokenizers ----

    [Fact]
    public void SentencePieceModel_EncodesAsLlama2cDoes()
    {
        File.WriteAllBytes(Path.Combine(_temp, "tokenizer.model"), SentencePieceModelFromLlama2c(Tok512Path, 512));

        var tokenizer = TokenizerLoader.FromFolder(_temp);

        Assert.IsType<SentencePieceModelTokenizer>(tokenizer);
        Assert.Equal((512, 1, true), (tokenizer.VocabSize, tokenizer.BosId, tokenizer.AddsBos));
        Assert.Equal([2], tokenizer.EosIds);
        Assert.True(tokenizer.IsSpecial(1) && !tokenizer.IsSpecial(403));
        foreach (var text in new[] { "Once upon a time", NonAscii, "  two  spaces " })
        {
            var ids = tokenizer.Encode(text);
            Assert.Equal(Tok512.Value.Encode(text), ids);
            Assert.Equal(text, tokenizer.Decode(ids));
            Assert.Equal(Encoding.UTF8.GetBytes(" " + text), ids.SelectMany(id => tokenizer.TokenBytes(id).ToArray()));
        }
    }

    [Fact]
    public void CorruptSentencePieceModel_NamesTheFile()
    {
        var path = Path.Combine(_temp, "tokenizer.model");
        File.WriteAllBytes(path, [0x0A, 0xFF, 0xFF, 0x01, 0x02]);

        var e = Assert.Throws<InvalidModelException>(() => TokenizerLoader.FromFolder(_temp));
        Assert.Contains(path, e.Message);
    }

    // ---- what cannot be loaded ----

    [Fact]
    public void MalformedTokenizerJson_NamesTheFile()
    {
        var path = Path.Combine(_temp, "tokenizer.json");
        File.WriteAllText(path, "{ \"model\": ");

        var e = Assert.Throws<InvalidModelException>(() => TokenizerLoader.FromFolder(_temp));
        Assert.Contains(path, e.Message);
        Assert.Contains("malformed JSON", e.Message);
    }

    [Fact]
    public void UnigramTokenizerJson_IsNotSupported()
    {
        var path = Path.Combine(_temp, "tokenizer.json");
        File.WriteAllText(path, """{"model": {"type": "Unigram", "vocab": [["<unk>", 0.0]]}}""");

        var e = Assert.Throws<InvalidModelException>(() => TokenizerLoader.FromFolder(_temp));
        Assert.Equal($"{path}: model.type 'Unigram' is not supported (supported: BPE)", e.Message);
    }

    [Fact]
    public void FolderWithoutTokenizer_ListsWhatWasLookedFor()
    {
        var e = Assert.Throws<InvalidModelException>(() => TokenizerLoader.FromFolder(_temp));
        Assert.Contains(_temp, e.Message);
        Assert.Contains("tokenizer.json", e.Message);
        Assert.Contains("tokenizer.model", e.Message);
    }

    // ---- long inputs: training datasets are encoded whole ----

    [Fact]
    public void Encoding100KB_RoundTrips()
    {
        var text = string.Concat(Enumerable.Repeat("Once upon a time, 東京 had 12345 bears 🚀.\n", 2500));
        var noSpaces = new string('a', 100_000); // one SentencePiece run; a quadratic merge loop would take minutes
        foreach (var (tokenizer, input) in new[] { (SmolLm2.Value, text), (Llama2.Value, text), (Llama2.Value, noSpaces) })
        {
            // A bound, not a benchmark: each takes well under a second here, so only a quadratic merge reaches it.
            var encoding = Task.Run(() => tokenizer.Encode(input));
            Assert.True(encoding.Wait(TimeSpan.FromSeconds(60)), $"encoding {input.Length} characters took over a minute");
            Assert.Equal(input, tokenizer.Decode(encoding.Result));
        }
    }

    // ---- helpers ----

    /// <summary>Deterministic mixed text: words, runs of spaces, tabs, newlines, accents, CJK and emoji.</summary>
    private static IEnumerable<string> SampleTexts()
    {
        string[] pool = ["the", " ", "  ", "     ", "\t", "\n", "Once", "upon", "a", "time", "é", "ü", "ß", "東京", "🚀", "'s", ",", ".", "42", "x", "ñ", "—"];
        var random = new Random(12345);
        for (int i = 0; i < 150; i++)
            yield return string.Concat(Enumerable.Range(0, random.Next(1, 25)).Select(_ => pool[random.Next(pool.Length)]));
    }

    /// <summary>
    /// A tiny Llama-3-style byte-level tokenizer.json: the 256 byte characters (ids 0..255), merges up to "hello" (259)
    /// and "Ġworld" (264), "hi" (265) without a merge, ignore_merges, three special tokens, Split + ByteLevel
    /// pre-tokenizer, and a template adding &lt;|begin_of_text|&gt; (300).
    /// </summary>
    private static void WriteLlama3StyleTokenizer(string folder)
    {
        var byteChars = Enumerable.Range(0, 256).Select(b => b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ' ? (char)b : '\0').ToArray();
        for (int b = 0, next = 256; b < 256; b++) if (byteChars[b] == '\0') byteChars[b] = (char)next++;
        var vocab = Enumerable.Range(0, 256).ToDictionary(b => byteChars[b].ToString(), b => b);
        string[][] merges = [["h", "e"], ["l", "l"], ["he", "ll"], ["hell", "o"], ["Ġ", "w"], ["o", "r"], ["Ġw", "or"], ["l", "d"], ["Ġwor", "ld"]];
        // "hi" (265) has no merge: only ignore_merges, which takes a whole piece found in the vocab, reaches it.
        string[] made = ["he", "ll", "hell", "hello", "Ġw", "or", "Ġwor", "ld", "Ġworld", "hi"];
        for (int i = 0; i < made.Length; i++) vocab[made[i]] = 256 + i;
        var json = new
        {
            version = "1.0",
            added_tokens = new[] { ("<|begin_of_text|>", 300), ("<|eot_id|>", 301), ("<|end_of_text|>", 302) }
                .Select(t => new { id = t.Item2, content = t.Item1, single_word = false, lstrip = false, rstrip = false, normalized = false, special = true }),
            normalizer = (object?)null,
            pre_tokenizer = new
            {
                type = "Sequence",
                pretokenizers = new object[]
                {
                    new { type = "Split", pattern = new { Regex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+" }, behavior = "Isolated", invert = false },
                    new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = false },
                },
            },
            post_processor = new
            {
                type = "Sequence",
                processors = new object[]
                {
                    new { type = "ByteLevel", add_prefix_space = true, trim_offsets = false, use_regex = true },
                    new
                    {
                        type = "TemplateProcessing",
                        single = new object[] { new { SpecialToken = new { id = "<|begin_of_text|>", type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } } },
                        special_tokens = new Dictionary<string, object> { ["<|begin_of_text|>"] = new { id = "<|begin_of_text|>", ids = new[] { 300 }, tokens = new[] { "<|begin_of_text|>" } } },
                    },
                },
            },
            decoder = new { type = "ByteLevel", add_prefix_space = true, trim_offsets = true, use_regex = true },
            model = new { type = "BPE", ignore_merges = true, vocab, merges },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(json));
    }

    /// <summary>
    /// A SentencePiece ModelProto with llama2.c's pieces and scores: pieces {piece=1, score=2, type=3},
    /// trainer_spec {model_type=3 (BPE=2), vocab_size=4, byte_fallback=35, unk/bos/eos/pad ids=40..43},
    /// normalizer_spec {name=1 "identity", add_dummy_prefix=3, remove_extra_whitespaces=4, escape_whitespaces=5}.
    /// </summary>
    private static byte[] SentencePieceModelFromLlama2c(string tokenizerBin, int vocabSize)
    {
        var model = new MemoryStream();
        using var reader = new BinaryReader(File.OpenRead(tokenizerBin));
        reader.ReadInt32();
        for (int id = 0; id < vocabSize; id++)
        {
            float score = reader.ReadSingle();
            var piece = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadInt32()));
            var (text, type) = id switch { 0 => ("<unk>", 2), 1 => ("<s>", 3), 2 => ("</s>", 3), < 259 => (piece, 6), _ => (piece.Replace(' ', '▁'), 1) };
            var entry = new MemoryStream();
            Bytes(entry, 1, Encoding.UTF8.GetBytes(text));
            Tag(entry, 2, 5);
            entry.Write(BitConverter.GetBytes(score));
            Varint(entry, 3, type);
            Bytes(model, 1, entry.ToArray());
        }
        var trainer = new MemoryStream();
        foreach (var (field, value) in new[] { (3, 2L), (4, vocabSize), (35, 1), (40, 0), (41, 1), (42, 2), (43, -1) }) Varint(trainer, field, value);
        Bytes(model, 2, trainer.ToArray());
        var normalizer = new MemoryStream();
        Bytes(normalizer, 1, "identity"u8.ToArray());
        foreach (var (field, value) in new[] { (3, 1L), (4, 0), (5, 1) }) Varint(normalizer, field, value);
        Bytes(model, 3, normalizer.ToArray());
        return model.ToArray();

        static void Raw(Stream s, ulong v)
        {
            for (; v >= 0x80; v >>= 7) s.WriteByte((byte)(v | 0x80));
            s.WriteByte((byte)v);
        }
        static void Tag(Stream s, int field, int wireType) => Raw(s, (ulong)(field << 3 | wireType));
        static void Varint(Stream s, int field, long value) { Tag(s, field, 0); Raw(s, (ulong)value); }
        static void Bytes(Stream s, int field, byte[] data) { Tag(s, field, 2); Raw(s, (ulong)data.Length); s.Write(data); }
    }
}
