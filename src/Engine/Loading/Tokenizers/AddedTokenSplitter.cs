using System.Text.RegularExpressions;

namespace WebUI.Engine.Loading;

/// <summary>
/// Cuts text around added tokens (e.g. &lt;|im_start|&gt;) so each encodes as its one id, as HF's added vocabulary
/// does: leftmost match, the longest token on ties; an lstrip/rstrip token also takes the whitespace beside it.
/// </summary>
internal sealed class AddedTokenSplitter
{
    /// <summary>A stretch of text to encode (<see cref="TokenId"/> -1) or one added token.</summary>
    public readonly record struct Segment(int Start, int Length, int TokenId);

    private readonly Regex? _pattern;
    private readonly Dictionary<string, AddedToken> _byContent;
    private readonly HashSet<int> _ids;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _byContent = tokens.Where(t => t.Content.Length > 0).DistinctBy(t => t.Content).ToDictionary(t => t.Content);
        _ids = _byContent.Values.Select(t => t.Id).ToHashSet();
        if (_byContent.Count > 0)
            _pattern = new Regex(string.Join("|", _byContent.Keys.OrderByDescending(c => c.Length).Select(Regex.Escape)),
                RegexOptions.CultureInvariant);
    }

    public IReadOnlyCollection<AddedToken> Tokens => _byContent.Values;

    public bool Contains(int id) => _ids.Contains(id);

    /// <summary>
    /// The ids of <paramref name="text"/>: <paramref name="bos"/> first when given, each added token as its id, and
    /// every stretch between them as <paramref name="encodePlain"/> appends it (given the stretch, where it starts,
    /// and a scratch list for merge symbols).
    /// </summary>
    public List<int> Encode(string text, int? bos, Action<string, int, List<int>, List<int>> encodePlain)
    {
        var ids = new List<int>();
        if (bos is { } id) ids.Add(id);
        var symbols = new List<int>();
        foreach (var segment in Split(text))
        {
            if (segment.TokenId >= 0) ids.Add(segment.TokenId);
            else encodePlain(text.Substring(segment.Start, segment.Length), segment.Start, symbols, ids);
        }
        return ids;
    }

    private List<Segment> Split(string text)
    {
        var segments = new List<Segment>();
        int pos = 0;
        for (var m = _pattern?.Match(text); m is { Success: true }; m = _pattern!.Match(text, pos))
        {
            var token = _byContent[m.Value];
            int start = m.Index, end = m.Index + m.Length;
            if (token.LStrip) while (start > pos && char.IsWhiteSpace(text[start - 1])) start--;
            if (token.RStrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (start > pos) segments.Add(new Segment(pos, start - pos, -1));
            segments.Add(new Segment(start, end - start, token.Id));
            pos = end;
        }
        if (pos < text.Length) segments.Add(new Segment(pos, text.Length - pos, -1));
        return segments;
    }
}
