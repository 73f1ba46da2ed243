using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace WebUI.Engine.Generation;

/// <summary>
/// What a template value is and how it behaves, following Python as Jinja does. Values are: null (none),
/// <see cref="JinjaUndefined"/>, bool, long, double, string, List&lt;object?&gt; (lists and tuples),
/// Dictionary&lt;string, object?&gt; (dicts, insertion-ordered), <see cref="JinjaNamespace"/> and <see cref="JinjaFunction"/>.
/// </summary>
internal static class JinjaValues
{
    public static bool IsTrue(object? value) => value switch
    {
        null or JinjaUndefined => false,
        bool b => b,
        long n => n != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        Dictionary<string, object?> dict => dict.Count > 0,
        _ => true,
    };

    /// <summary>Python's str(): what {{ value }} prints; a list or dict over the string limit (or nested too deeply) throws.</summary>
    public static string ToText(object? value, TemplateLimits limits) => value switch
    {
        JinjaUndefined => "",
        string s => s,
        _ => Repr(value, limits),
    };

    /// <summary>Python's repr(), as str() of a list or dict shows its items.</summary>
    public static string Repr(object? value, TemplateLimits limits)
    {
        var sb = new StringBuilder();
        WriteRepr(sb, value, limits, 0);
        return sb.ToString();
    }

    /// <summary>Checked item by item, since a list can hold the same long string a million times.</summary>
    private static void WriteRepr(StringBuilder sb, object? value, TemplateLimits limits, int depth)
    {
        if (depth > limits.MaxDepth) throw limits.TooDeep();
        switch (value)
        {
            case List<object?> list:
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    WriteRepr(sb, list[i], limits, depth + 1);
                }
                sb.Append(']');
                break;
            case Dictionary<string, object?> dict:
                sb.Append('{');
                foreach (var (key, item) in dict)
                {
                    if (sb[^1] != '{') sb.Append(", ");
                    sb.Append(QuoteString(key)).Append(": ");
                    WriteRepr(sb, item, limits, depth + 1);
                }
                sb.Append('}');
                break;
            case JinjaNamespace ns:
                sb.Append("<Namespace ");
                WriteRepr(sb, ns.Attributes, limits, depth + 1);
                sb.Append('>');
                break;
            default:
                sb.Append(ScalarRepr(value));
                break;
        }
        limits.CheckString(sb.Length);
    }

    private static string ScalarRepr(object? value) => value switch
    {
        null => "None",
        JinjaUndefined => "",
        bool b => b ? "True" : "False",
        long n => n.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        string s => QuoteString(s),
        JinjaFunction f => $"<function {f.Name}>",
        _ => value.ToString() ?? "",
    };

    /// <summary>Python's float repr: shortest round-trip digits, "1.0" not "1", exponent form below 1e-4 and from 1e16.</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        string sign = double.IsNegative(d) ? "-" : "";
        if (d == 0) return sign + "0.0";

        // .NET's shortest round-trip form, taken apart into its digits and where the decimal point goes.
        string shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        int e = shortest.IndexOf('E');
        string mantissa = e < 0 ? shortest : shortest[..e];
        int dot = mantissa.IndexOf('.');
        int point = (dot < 0 ? mantissa.Length : dot) + (e < 0 ? 0 : int.Parse(shortest[(e + 1)..], CultureInfo.InvariantCulture));
        string digits = mantissa.Replace(".", "");
        int leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits[leadingZeros..].TrimEnd('0');
        point -= leadingZeros;

        int exponent = point - 1;
        if (exponent < -4 || exponent >= 16)
            return $"{sign}{digits[0]}{(digits.Length > 1 ? "." + digits[1..] : "")}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}";
        if (point <= 0) return $"{sign}0.{new string('0', -point)}{digits}";
        if (point >= digits.Length) return $"{sign}{digits}{new string('0', point - digits.Length)}.0";
        return $"{sign}{digits[..point]}.{digits[point..]}";
    }

    private static string QuoteString(string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder().Append(quote);
        foreach (char c in s)
        {
            sb.Append(c switch
            {
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when c == quote => "\\" + c,
                _ => c.ToString(),
            });
        }
        return sb.Append(quote).ToString();
    }

    public static bool IsNumber(object? value) => value is long or double;

    public static double ToDouble(object? value) => value switch
    {
        long n => n,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new TemplateException($"{TypeName(value)} is not a number"),
    };

    public static bool AreEqual(object? a, object? b) => (a, b) switch
    {
        (null, null) or (JinjaUndefined, JinjaUndefined) => true,
        (long x, long y) => x == y,
        _ when IsNumber(a) && IsNumber(b) => ToDouble(a) == ToDouble(b),
        (string x, string y) => x == y,
        (bool x, bool y) => x == y,
        (List<object?> x, List<object?> y) => EnsureStack() && x.Count == y.Count && x.Zip(y).All(p => AreEqual(p.First, p.Second)),
        (Dictionary<string, object?> x, Dictionary<string, object?> y) =>
            x.Count == y.Count && x.All(e => y.TryGetValue(e.Key, out var v) && AreEqual(e.Value, v)),
        _ => ReferenceEquals(a, b),
    };

    /// <summary>Ordering for &lt; &gt; and sort: numbers, strings (by code point) and lists of them.</summary>
    public static int Compare(object? a, object? b) => (a, b) switch
    {
        (long x, long y) => x.CompareTo(y),
        _ when (IsNumber(a) || a is bool) && (IsNumber(b) || b is bool) => ToDouble(a).CompareTo(ToDouble(b)),
        (string x, string y) => string.CompareOrdinal(x, y),
        (List<object?> x, List<object?> y) when EnsureStack() => x.Zip(y).Select(p => Compare(p.First, p.Second)).FirstOrDefault(c => c != 0, x.Count.CompareTo(y.Count)),
        _ => throw new TemplateException($"cannot compare {TypeName(a)} with {TypeName(b)}"),
    };

    /// <summary>True, or <see cref="InsufficientExecutionStackException"/> before comparing nested values overflows the stack.</summary>
    private static bool EnsureStack()
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        return true;
    }

    /// <summary>What a for loop walks: a list's items, a dict's keys, a string's characters; nothing for undefined.</summary>
    public static IReadOnlyList<object?> Iterate(object? value) => value switch
    {
        JinjaUndefined => [],
        List<object?> list => list,
        Dictionary<string, object?> dict => [.. dict.Keys],
        string s => [.. StringElements(s)],
        _ => throw new TemplateException($"{TypeName(value)} is not iterable"),
    };

    /// <summary>A string's characters as Python sees them: surrogate pairs are one character.</summary>
    public static IEnumerable<string> StringElements(string s)
    {
        for (int i = 0; i < s.Length; i += char.IsSurrogatePair(s, i) ? 2 : 1)
            yield return char.IsSurrogatePair(s, i) ? s.Substring(i, 2) : s[i].ToString();
    }

    public static long Length(object? value) => value switch
    {
        string s => s.EnumerateRunes().Count(),
        List<object?> list => list.Count,
        Dictionary<string, object?> dict => dict.Count,
        JinjaUndefined => 0,
        _ => throw new TemplateException($"{TypeName(value)} has no length"),
    };

    public static string TypeName(object? value) => value switch
    {
        null => "none",
        JinjaUndefined u => $"undefined value '{u.Name}'",
        bool => "bool",
        long => "int",
        double => "float",
        string => "string",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        JinjaNamespace => "namespace",
        JinjaFunction => "function",
        _ => value.GetType().Name,
    };
}
