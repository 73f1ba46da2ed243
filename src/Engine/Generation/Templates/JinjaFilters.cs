using System.Globalization;

namespace WebUI.Engine.Generation;

/// <summary>
/// The filters (value | name(arguments)) that chat templates use, with Jinja's argument names. Filters that can
/// make a string longer than their input check the result's length before building it.
/// </summary>
internal static class JinjaFilters
{
    public static object? Apply(string name, object? value, JinjaCallArguments args, TemplateLimits limits) => name switch
    {
        "trim" => JinjaMethods.Strip(JinjaValues.ToText(value, limits), args.Get(0, "chars") as string, start: true, end: true),
        "length" or "count" => JinjaValues.Length(value),
        "upper" => JinjaValues.ToText(value, limits).ToUpperInvariant(),
        "lower" => JinjaValues.ToText(value, limits).ToLowerInvariant(),
        "capitalize" => JinjaMethods.Capitalize(JinjaValues.ToText(value, limits)),
        "title" => JinjaMethods.Title(JinjaValues.ToText(value, limits)),
        "replace" => JinjaMethods.Replace(JinjaValues.ToText(value, limits), args, limits),
        "indent" => Indent(JinjaValues.ToText(value, limits), args, limits),
        "string" => JinjaValues.ToText(value, limits),
        "safe" => value,
        "default" or "d" => Default(value, args),
        "join" => Join(value, args, limits),
        // json.dumps treats a negative indent as 0: newlines without spaces.
        "tojson" => JinjaJson.Serialize(value, args.Get(0, "indent") is long indent ? (int)Math.Clamp(indent, 0, limits.MaxStringChars) : null,
            JinjaValues.IsTrue(args.Named.GetValueOrDefault("sort_keys")), limits),
        "first" => JinjaValues.Iterate(value) is { Count: > 0 } items ? items[0] : new JinjaUndefined("first"),
        "last" => JinjaValues.Iterate(value) is { Count: > 0 } items ? items[^1] : new JinjaUndefined("last"),
        "list" => JinjaValues.Iterate(value).ToList(),
        "reverse" => value is string s ? (object)string.Concat(JinjaValues.StringElements(s).Reverse()) : JinjaValues.Iterate(value).Reverse().ToList(),
        "items" => value is Dictionary<string, object?> dict ? JinjaMethods.Items(dict) : throw NotFor(name, value),
        "sort" => Sort(value, args),
        "dictsort" => value is Dictionary<string, object?> dict ? DictSort(dict, args) : throw NotFor(name, value),
        "selectattr" => SelectAttribute(value, args, keep: true),
        "rejectattr" => SelectAttribute(value, args, keep: false),
        "select" => Select(value, args, keep: true),
        "reject" => Select(value, args, keep: false),
        "map" => Map(value, args, limits),
        "int" => ToInteger(value, args),
        "float" => ToFloat(value, args),
        "abs" => value is long n ? (object)Math.Abs(n) : Math.Abs(JinjaValues.ToDouble(value)),
        _ => throw new TemplateException($"unknown filter '{name}'"),
    };

    private static TemplateException NotFor(string filter, object? value) =>
        new($"filter '{filter}' does not apply to {JinjaValues.TypeName(value)}");

    /// <summary>default(fallback, boolean=false): the fallback for an undefined value, or with boolean=true for any false one.</summary>
    private static object? Default(object? value, JinjaCallArguments args)
    {
        bool onFalse = JinjaValues.IsTrue(args.Get(1, "boolean", false));
        bool replace = value is JinjaUndefined || (onFalse && !JinjaValues.IsTrue(value));
        return replace ? args.Get(0, "default_value", "") : value;
    }

    /// <summary>join(d="", attribute=None), the length checked piece by piece since every piece may be long.</summary>
    private static string Join(object? value, JinjaCallArguments args, TemplateLimits limits)
    {
        var items = JinjaValues.Iterate(value);
        if (args.Get(1, "attribute") is string attribute) items = items.Select(i => JinjaOperators.Attribute(i, attribute)).ToList();
        string separator = JinjaValues.ToText(args.Get(0, "d", ""), limits);
        var pieces = new List<string>(items.Count);
        long length = 0;
        foreach (var item in items)
        {
            pieces.Add(JinjaValues.ToText(item, limits));
            length += pieces[^1].Length + (pieces.Count > 1 ? separator.Length : 0);
            limits.CheckString(length);
        }
        return string.Join(separator, pieces);
    }

    /// <summary>
    /// indent(width=4, first=False, blank=False): every line after the first (and the first with first=True)
    /// prefixed with width spaces, or with width itself when it is a string; blank lines too with blank=True.
    /// </summary>
    private static string Indent(string text, JinjaCallArguments args, TemplateLimits limits)
    {
        var width = args.Get(0, "width", 4L);
        string indentation = width is string prefix ? prefix
            : new string(' ', (int)Math.Clamp(width as long? ?? throw new TemplateException("indent: width must be a number or a string"), 0, limits.MaxStringChars + 1L));
        // Like Jinja, which appends a newline before splitting the lines, a trailing newline is kept.
        var lines = (text + "\n").Split('\n')[..^1];
        bool first = JinjaValues.IsTrue(args.Get(1, "first", false)), blank = JinjaValues.IsTrue(args.Get(2, "blank", false));
        limits.CheckString(text.Length + limits.Repeated(indentation.Length, lines.Length));
        var indented = lines.Select((line, i) => (i > 0 || first) && (blank || line.Length > 0) ? indentation + line : line);
        return string.Join('\n', indented);
    }

    private static List<object?> Sort(object? value, JinjaCallArguments args)
    {
        string? attribute = args.Get(2, "attribute") as string;
        bool caseSensitive = JinjaValues.IsTrue(args.Get(1, "case_sensitive", false));
        object? Key(object? item)
        {
            var key = attribute is null ? item : JinjaOperators.Attribute(item, attribute);
            return key is string s && !caseSensitive ? s.ToLowerInvariant() : key;
        }
        var sorted = JinjaValues.Iterate(value).ToList();
        sorted.Sort((a, b) => JinjaValues.Compare(Key(a), Key(b)));
        if (JinjaValues.IsTrue(args.Get(0, "reverse", false))) sorted.Reverse();
        return sorted;
    }

    /// <summary>
    /// dictsort(case_sensitive=False, by="key", reverse=False): a dict's (key, value) pairs sorted by key or value,
    /// strings compared ignoring case unless asked; a stable sort, as Python's sorted, also when reversed.
    /// </summary>
    private static List<object?> DictSort(Dictionary<string, object?> dict, JinjaCallArguments args)
    {
        bool caseSensitive = JinjaValues.IsTrue(args.Get(0, "case_sensitive", false));
        int position = args.Get(1, "by", "key") switch
        {
            "key" => 0,
            "value" => 1,
            _ => throw new TemplateException("dictsort: you can only sort by either 'key' or 'value'"),
        };
        object? Key(List<object?> pair) => pair[position] is string s && !caseSensitive ? s.ToLowerInvariant() : pair[position];
        var pairs = JinjaMethods.Items(dict).Cast<List<object?>>();
        var comparer = Comparer<object?>.Create(JinjaValues.Compare);
        var sorted = JinjaValues.IsTrue(args.Get(2, "reverse", false)) ? pairs.OrderByDescending(Key, comparer) : pairs.OrderBy(Key, comparer);
        return [.. sorted];
    }

    /// <summary>select("test", arguments...) or reject(...): items that pass the test, or are true without one.</summary>
    private static List<object?> Select(object? value, JinjaCallArguments args, bool keep)
    {
        string? test = args.Positional.Count > 0 ? args.Positional[0] as string : null;
        var testArgs = new JinjaCallArguments(args.Positional.Skip(1).ToList(), new Dictionary<string, object?>());
        return JinjaValues.Iterate(value).Where(item => (test is null ? JinjaValues.IsTrue(item) : JinjaTests.Apply(test, item, testArgs)) == keep).ToList();
    }

    /// <summary>selectattr("role", "equalto", "user"): items whose attribute passes the test (or is true without one).</summary>
    private static List<object?> SelectAttribute(object? value, JinjaCallArguments args, bool keep)
    {
        if (args.Get(0, "attribute") is not string attribute) throw new TemplateException("selectattr/rejectattr need an attribute name");
        string? test = args.Positional.Count > 1 ? args.Positional[1] as string : null;
        var testArgs = new JinjaCallArguments(args.Positional.Skip(2).ToList(), new Dictionary<string, object?>());
        return JinjaValues.Iterate(value).Where(item =>
        {
            var attributeValue = JinjaOperators.Attribute(item, attribute);
            bool passes = test is null ? JinjaValues.IsTrue(attributeValue) : JinjaTests.Apply(test, attributeValue, testArgs);
            return passes == keep;
        }).ToList();
    }

    /// <summary>map(attribute="name") or map("filter", arguments...).</summary>
    private static List<object?> Map(object? value, JinjaCallArguments args, TemplateLimits limits)
    {
        var items = JinjaValues.Iterate(value);
        if (args.Named.TryGetValue("attribute", out var attribute) && attribute is string name)
        {
            return items.Select(i => JinjaOperators.Attribute(i, name) is var v && v is JinjaUndefined
                && args.Named.TryGetValue("default", out var fallback) ? fallback : v).ToList();
        }
        if (args.Get(0, "filter") is not string filter) throw new TemplateException("map needs attribute=... or a filter name");
        var filterArgs = new JinjaCallArguments(args.Positional.Skip(1).ToList(), args.Named);
        return items.Select(i => Apply(filter, i, filterArgs, limits)).ToList();
    }

    private static long ToInteger(object? value, JinjaCallArguments args) => value switch
    {
        long n => n,
        double d => (long)Math.Truncate(d),
        bool b => b ? 1 : 0,
        string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => (long)Math.Truncate(d),
        _ => args.Get(0, "default", 0L) is long fallback ? fallback : 0,
    };

    private static double ToFloat(object? value, JinjaCallArguments args) => value switch
    {
        long or double or bool => JinjaValues.ToDouble(value),
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => args.Get(0, "default", 0.0) is double fallback ? fallback : 0.0,
    };
}
