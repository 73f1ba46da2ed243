using System.Text;

namespace WebUI.Engine.Generation;

/// <summary>
/// Jinja's operators with Python's semantics: / always divides as floats, // and % floor, + joins strings and lists,
/// * repeats them, ~ joins anything as text; attribute, item and slice access with negative indices. Strings and
/// lists are checked against the limits before they are built.
/// </summary>
internal static class JinjaOperators
{
    public static object? Binary(string op, object? a, object? b, TemplateLimits limits) => op switch
    {
        "~" => Concat(JinjaValues.ToText(a, limits), JinjaValues.ToText(b, limits), limits),
        "==" => JinjaValues.AreEqual(a, b),
        "!=" => !JinjaValues.AreEqual(a, b),
        "<" => JinjaValues.Compare(a, b) < 0,
        "<=" => JinjaValues.Compare(a, b) <= 0,
        ">" => JinjaValues.Compare(a, b) > 0,
        ">=" => JinjaValues.Compare(a, b) >= 0,
        "in" => Contains(b, a),
        "not in" => !Contains(b, a),
        "+" => Add(a, b, limits),
        "*" => Multiply(a, b, limits),
        _ => Arithmetic(op, a, b),
    };

    public static object? Unary(string op, object? value) => (op, value) switch
    {
        ("not", _) => !JinjaValues.IsTrue(value),
        ("-", long n) => -n,
        ("-", double d) => -d,
        ("+", long or double) => value,
        _ => throw new TemplateException($"bad operand for unary {op}: {JinjaValues.TypeName(value)}"),
    };

    private static object? Add(object? a, object? b, TemplateLimits limits) => (a, b) switch
    {
        (string x, string y) => Concat(x, y, limits),
        (List<object?> x, List<object?> y) => Concat(x, y, limits),
        _ => Arithmetic("+", a, b),
    };

    private static string Concat(string x, string y, TemplateLimits limits)
    {
        limits.CheckString((long)x.Length + y.Length);
        return x + y;
    }

    private static List<object?> Concat(List<object?> x, List<object?> y, TemplateLimits limits)
    {
        limits.CheckList((long)x.Count + y.Count);
        return [.. x, .. y];
    }

    private static object? Multiply(object? a, object? b, TemplateLimits limits) => (a, b) switch
    {
        (string s, long n) => Repeat(s, n, limits),
        (long n, string s) => Repeat(s, n, limits),
        (List<object?> l, long n) => Repeat(l, n, limits),
        (long n, List<object?> l) => Repeat(l, n, limits),
        _ => Arithmetic("*", a, b),
    };

    private static string Repeat(string s, long times, TemplateLimits limits)
    {
        limits.CheckString(limits.Repeated(s.Length, times));
        return s.Length == 0 || times <= 0 ? "" : new StringBuilder(s.Length * (int)times).Insert(0, s, (int)times).ToString();
    }

    private static List<object?> Repeat(List<object?> list, long times, TemplateLimits limits)
    {
        limits.CheckList(limits.Repeated(list.Count, times));
        return list.Count == 0 || times <= 0 ? [] : [.. Enumerable.Repeat(list, (int)times).SelectMany(x => x)];
    }

    private static object? Arithmetic(string op, object? a, object? b)
    {
        if (!IsArithmetic(a) || !IsArithmetic(b))
            throw new TemplateException($"unsupported operand types for {op}: {JinjaValues.TypeName(a)} and {JinjaValues.TypeName(b)}");
        if (a is not double && b is not double && op != "/" && !(op == "**" && ToLong(b) < 0))
        {
            long x = ToLong(a), y = ToLong(b);
            if ((op is "//" or "%") && y == 0) throw new TemplateException("integer division or modulo by zero");
            return op switch
            {
                "+" => x + y,
                "-" => x - y,
                "*" => x * y,
                "//" => FloorDiv(x, y),
                "%" => x - FloorDiv(x, y) * y,
                "**" => (long)Math.Pow(x, y),
                _ => throw new TemplateException($"unknown operator {op}"),
            };
        }
        double p = JinjaValues.ToDouble(a), q = JinjaValues.ToDouble(b);
        if ((op is "/" or "//" or "%") && q == 0) throw new TemplateException("division by zero");
        return op switch
        {
            "+" => p + q,
            "-" => p - q,
            "*" => p * q,
            "/" => p / q,
            "//" => Math.Floor(p / q),
            "%" => p - Math.Floor(p / q) * q,
            "**" => Math.Pow(p, q),
            _ => throw new TemplateException($"unknown operator {op}"),
        };
    }

    private static bool IsArithmetic(object? value) => value is long or double or bool;
    private static long ToLong(object? value) => value is bool b ? (b ? 1 : 0) : (long)value!;
    private static long FloorDiv(long x, long y) => x / y - (x % y != 0 && (x < 0) != (y < 0) ? 1 : 0);

    public static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        List<object?> list => list.Any(x => JinjaValues.AreEqual(x, item)),
        Dictionary<string, object?> dict => item is string key && dict.ContainsKey(key),
        JinjaUndefined => false,
        _ => throw new TemplateException($"'in' needs a string, list or dict on the right, not {JinjaValues.TypeName(container)}"),
    };

    /// <summary>target.name: a namespace's or dict's entry of that name; undefined when there is none.</summary>
    public static object? Attribute(object? target, string name) => target switch
    {
        Dictionary<string, object?> dict => dict.TryGetValue(name, out var value) ? value : new JinjaUndefined(name),
        JinjaNamespace ns => ns.Attributes.TryGetValue(name, out var value) ? value : new JinjaUndefined(name),
        JinjaUndefined u => u,
        _ => new JinjaUndefined(name),
    };

    /// <summary>target[key]: a dict entry, or a list or string element counted from the end when negative.</summary>
    public static object? Item(object? target, object? key) => (target, key) switch
    {
        (Dictionary<string, object?> dict, string name) => dict.TryGetValue(name, out var value) ? value : new JinjaUndefined(name),
        (JinjaNamespace ns, string name) => Attribute(ns, name),
        (List<object?> list, long index) => ElementAt(list, index),
        (string s, long index) => ElementAt(JinjaValues.StringElements(s).ToList(), index),
        (JinjaUndefined u, _) => u,
        _ => new JinjaUndefined(key is long or string ? key.ToString()! : JinjaValues.TypeName(key)),
    };

    private static object? ElementAt<T>(IReadOnlyList<T> items, long index)
    {
        long i = index < 0 ? items.Count + index : index;
        return i >= 0 && i < items.Count ? items[(int)i] : new JinjaUndefined($"[{index}]");
    }

    /// <summary>Python's target[start:stop:step] on a list or string.</summary>
    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        var items = target switch
        {
            List<object?> list => list,
            string s => JinjaValues.StringElements(s).Cast<object?>().ToList(),
            JinjaUndefined => null,
            _ => throw new TemplateException($"cannot slice {JinjaValues.TypeName(target)}"),
        };
        if (items is null) return target;
        long by = step is long n ? n : 1;
        if (by == 0) throw new TemplateException("slice step cannot be zero");
        int count = items.Count;
        long Bound(object? value, long whenMissing)
        {
            if (value is not long v) return whenMissing;
            if (v < 0) v += count;
            return by > 0 ? Math.Clamp(v, 0, count) : Math.Clamp(v, -1, count - 1);
        }
        long from = Bound(start, by > 0 ? 0 : count - 1), to = Bound(stop, by > 0 ? count : -1);
        var picked = new List<object?>();
        for (long i = from; by > 0 ? i < to : i > to; i += by) picked.Add(items[(int)i]);
        return target is string ? string.Concat(picked) : picked;
    }
}
