using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace WebUI.Engine.Loading;

/// <summary>
/// The pre-tokenizer of a byte-level tokenizer.json as a chain of steps, each applied to every piece the previous
/// one made (HF's Sequence): Split (Llama 3, Qwen2) and Digits cut pieces into the regex's matches and the text
/// between them ("Isolated"); ByteLevel adds its prefix space if asked and, with use_regex, splits by GPT-2's pattern.
/// </summary>
internal sealed class ByteLevelPreTokenizer
{
    /// <summary>What HF's ByteLevel pre-tokenizer splits by when use_regex is true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly record struct Step(Regex? Split, bool AddPrefixSpace);

    private readonly IReadOnlyList<Step> _steps;

    private ByteLevelPreTokenizer(IReadOnlyList<Step> steps) => _steps = steps;

    public static ByteLevelPreTokenizer FromJson(TokenizerJsonFile file)
    {
        var steps = new List<Step>();
        void Add(JsonElement step)
        {
            var type = step.GetProperty("type").GetString();
            switch (type)
            {
                case "Sequence":
                    foreach (var inner in step.GetProperty("pretokenizers").EnumerateArray()) Add(inner);
                    break;
                case "ByteLevel":
                    bool useRegex = !step.TryGetProperty("use_regex", out var u) || u.ValueKind != JsonValueKind.False;
                    steps.Add(new Step(useRegex ? Compile(Gpt2Pattern) : null, TokenizerJsonFile.Flag(step, "add_prefix_space")));
                    break;
                case "Digits":
                    steps.Add(new Step(Compile(TokenizerJsonFile.Flag(step, "individual_digits") ? @"\p{N}" : @"\p{N}+"), false));
                    break;
                case "Split":
                    var behavior = step.GetProperty("behavior").GetString();
                    if (behavior != "Isolated" || TokenizerJsonFile.Flag(step, "invert"))
                        throw file.Error($"pre-tokenizer Split with behavior '{behavior}' is not supported (supported: Isolated, not inverted)");
                    var pattern = step.GetProperty("pattern");
                    steps.Add(new Step(Compile(pattern.TryGetProperty("Regex", out var regex)
                        ? regex.GetString()! : Regex.Escape(pattern.GetProperty("String").GetString()!)), false));
                    break;
                default:
                    throw file.Error($"pre-tokenizer '{type}' is not supported (supported: ByteLevel, Split, Digits, Sequence)");
            }
        }
        if (file.Section("pre_tokenizer") is { } preTokenizer) Add(preTokenizer);
        return new ByteLevelPreTokenizer(steps);

        Regex Compile(string pattern)
        {
            try { return new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant); }
            catch (ArgumentException e) { throw file.Error($"pre-tokenizer regex cannot be used in .NET: {e.Message}"); }
        }
    }

    /// <summary>The steps as text (patterns and prefix flags): equal for pre-tokenizers that split alike.</summary>
    public string Signature => string.Join(" | ", _steps.Select(s => $"{s.Split}/{s.AddPrefixSpace}"));

    public List<string> Split(string text)
    {
        var pieces = new List<string> { text };
        foreach (var step in _steps)
        {
            var next = new List<string>(pieces.Count);
            foreach (var piece in pieces)
            {
                var p = step.AddPrefixSpace && !piece.StartsWith(' ') ? " " + piece : piece;
                if (step.Split is null) next.Add(p);
                else SplitIsolated(step.Split, p, next);
            }
            pieces = next;
        }
        return pieces;
    }

    private static void SplitIsolated(Regex regex, string piece, List<string> output)
    {
        var (view, toPiece) = BmpView(piece);
        int pos = 0;
        foreach (var m in regex.EnumerateMatches(view))
        {
            if (m.Length == 0) continue;
            int start = toPiece?[m.Index] ?? m.Index, end = toPiece?[m.Index + m.Length] ?? m.Index + m.Length;
            if (start > pos) output.Add(piece[pos..start]);
            output.Add(piece[start..end]);
            pos = end;
        }
        if (pos < piece.Length) output.Add(piece[pos..]);
    }

    // .NET regexes see UTF-16 code units, so a letter or digit outside the BMP (𝐀, 𝟙, CJK Extension B) would not
    // match \p{L} or \p{N} as it does in the Rust regexes HF runs. Such text is matched in a copy where each of
    // those code points is one BMP stand-in of the same Unicode category; toPiece maps copy positions back.
    private static (string View, int[]? ToPiece) BmpView(string piece)
    {
        if (!piece.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF')) return (piece, null);
        var view = new StringBuilder(piece.Length);
        var toPiece = new List<int>(piece.Length + 1);
        for (int i = 0; i < piece.Length; i++)
        {
            toPiece.Add(i);
            if (char.IsSurrogatePair(piece, i))
            {
                view.Append(StandIns[(int)CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(piece[i], piece[i + 1]))]);
                i++;
            }
            else view.Append(piece[i]);
        }
        toPiece.Add(piece.Length);
        return (view.ToString(), [.. toPiece]);
    }

    /// <summary>For each Unicode category, the first BMP character above Latin-1 that has it.</summary>
    private static readonly char[] StandIns = BuildStandIns();

    private static char[] BuildStandIns()
    {
        var standIns = new char[32];
        for (int c = 0xFFFD; c >= 0x100; c--)
            if (!char.IsSurrogate((char)c)) standIns[(int)char.GetUnicodeCategory((char)c)] = (char)c;
        return standIns;
    }
}
