using System.Text;

namespace WebUI.Engine.Generation;

/// <summary>
/// The Python methods templates call on values: str's strip, lstrip, rstrip, startswith, endswith, split, upper,
/// lower, replace, title, capitalize; dict's get, items, keys, values. Nothing that mutates (HF's sandbox forbids it).
/// </summary>
internal static class JinjaMethods
{
    public static object? Call(object? target, string name, JinjaCallArguments args, TemplateLimits limits) => (target, name) switch
    {
        (string s, "strip") => Strip(s, args.Get(0, "chars") as string, start: true, end: true),
        (string s, "lstrip") => Strip(s, args.Get(0, "chars") as string, start: true, end: false),
        (string s, "rstrip") => Strip(s, args.Get(0, "chars") as string, start: false, end: true),
        (string s, "startswith") => Affixes(args).Any(p => s.StartsWith(p, StringComparison.Ordinal)),
        (string s, "endswith") => Affixes(args).Any(p => s.EndsWith(p, StringComparison.Ordinal)),
        (string s, "split") => Split(s, args.Get(0, "sep") as string, args.Get(1, "maxsplit", -1L) is long max ? max : -1),
        (string s, "upper") => s.ToUpperInvariant(),
        (string s, "lower") => s.ToLowerInvariant(),
        (string s, "title") => Title(s),
        (string s, "capitalize") => Capitalize(s),
        (string s, "replace") => Replace(s, args, limits),
        (Dictionary<string, object?> d, "get") => args.Get(0, "key") is string key && d.TryGetValue(key, out var v) ? v : args.Get(1, "default"),
        (Dictionary<string, object?> d, "items") => Items(d),
        (Dictionary<string, object?> d, "keys") => d.Keys.Cast<object?>().ToList(),
        (Dictionary<string, object?> d, "values") => d.Values.ToList(),
        _ => throw new TemplateException($"{JinjaValues.TypeName(target)} has no method '{name}'"),
    };

    /// <summary>Python's strip: whitespace, or any of <paramref name="chars"/>, from the chosen ends.</summary>
    public static string Strip(string s, string? chars, bool start, bool end)
    {
        var set = chars?.ToCharArray();
        if (start) s = set is null ? s.TrimStart() : s.TrimStart(set);
        if (end) s = set is null ? s.TrimEnd() : s.TrimEnd(set);
        return s;
    }

    private static IEnumerable<string> Affixes(JinjaCallArguments args) => args.Get(0, "prefix") switch
    {
        string one => [one],
        List<object?> several => several.OfType<string>(),
        var other => throw new TemplateException($"startswith/endswith need a string or a list of strings, not {JinjaValues.TypeName(other)}"),
    };

    /// <summary>Python's split: on runs of whitespace (dropping empty pieces) without a separator, else on each separator.</summary>
    private static List<object?> Split(string s, string? separator, long maxSplit)
    {
        if (separator == "") throw new TemplateException("split: empty separator");
        int limit = maxSplit < 0 ? int.MaxValue : (int)Math.Min(maxSplit + 1, int.MaxValue);
        if (separator is not null) return [.. s.Split(separator, limit)];
        var pieces = s.TrimStart().Split((char[]?)null, limit, StringSplitOptions.RemoveEmptyEntries);
        // .NET leaves the separators that start the unsplit rest; Python does not.
        if (pieces.Length == limit) pieces[^1] = pieces[^1].TrimStart();
        return [.. pieces];
    }

    /// <summary>Python's replace(old, new, count=-1); the result's length is checked before it is built.</summary>
    public static string Replace(string s, JinjaCallArguments args, TemplateLimits limits)
    {
        string old = JinjaValues.ToText(args.Get(0, "old"), limits);
        string replacement = JinjaValues.ToText(args.Get(1, "new"), limits);
        long count = args.Get(2, "count", -1L) is long c ? c : -1;
        var matches = Occurrences(s, old, count < 0 ? long.MaxValue : count);
        limits.CheckString(s.Length + (long)matches.Count * (replacement.Length - old.Length));
        var sb = new StringBuilder();
        int from = 0;
        foreach (int at in matches)
        {
            sb.Append(s, from, at - from).Append(replacement);
            from = at + old.Length;
        }
        return sb.Append(s, from, s.Length - from).ToString();
    }

    /// <summary>Where <paramref name="old"/> starts, left to right without overlaps; an empty one is found around every character.</summary>
    private static List<int> Occurrences(string s, string old, long most)
    {
        var found = new List<int>();
        for (int at = 0; found.Count < most && at <= s.Length;)
        {
            if (old.Length == 0)
            {
                found.Add(at);
                at += at < s.Length && char.IsSurrogatePair(s, at) ? 2 : 1;
                continue;
            }
            at = s.IndexOf(old, at, StringComparison.Ordinal);
            if (at < 0) break;
            found.Add(at);
            at += old.Length;
        }
        return found;
    }

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Python's title: the first letter of each run of letters upper case, the rest lower.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousIsLetter = false;
        foreach (char c in s)
        {
            sb.Append(previousIsLetter ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousIsLetter = char.IsLetter(c);
        }
        return sb.ToString();
    }

    public static List<object?> Items(Dictionary<string, object?> dict) =>
        dict.Select(e => (object?)new List<object?> { e.Key, e.Value }).ToList();
}
