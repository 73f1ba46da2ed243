using System.Globalization;
using System.Text;

namespace WebUI.Engine.Generation;

/// <summary>
/// The tojson filter as Hugging Face defines it: Python's json.dumps with ensure_ascii=False, so ", " and ": "
/// separate items (only "," and ": " with an indent), non-ASCII text stays as is and nothing is HTML-escaped.
/// </summary>
internal static class JinjaJson
{
    public static string Serialize(object? value, int? indent, bool sortKeys)
    {
        var sb = new StringBuilder();
        Write(sb, value, indent, sortKeys, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value, int? indent, bool sortKeys, int depth)
    {
        switch (value)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long n: sb.Append(n.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(double.IsFinite(d) ? JinjaValues.FormatFloat(d) : double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity"); break;
            case string s: WriteString(sb, s); break;
            case List<object?> list:
                WriteContainer(sb, '[', ']', list, item => Write(sb, item, indent, sortKeys, depth + 1), indent, depth);
                break;
            case Dictionary<string, object?> dict:
                var entries = sortKeys ? dict.OrderBy(e => e.Key, StringComparer.Ordinal).ToList() : dict.ToList();
                WriteContainer(sb, '{', '}', entries, entry =>
                {
                    WriteString(sb, entry.Key);
                    sb.Append(": ");
                    Write(sb, entry.Value, indent, sortKeys, depth + 1);
                }, indent, depth);
                break;
            case JinjaNamespace ns: Write(sb, ns.Attributes, indent, sortKeys, depth); break;
            default: throw new TemplateException($"{JinjaValues.TypeName(value)} cannot be written as JSON");
        }
    }

    private static void WriteContainer<T>(StringBuilder sb, char open, char close, IReadOnlyList<T> items,
        Action<T> writeItem, int? indent, int depth)
    {
        sb.Append(open);
        if (items.Count == 0)
        {
            sb.Append(close);
            return;
        }
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) sb.Append(indent is null ? ", " : ",");
            if (indent is int step) sb.Append('\n').Append(' ', step * (depth + 1));
            writeItem(items[i]);
        }
        if (indent is int last) sb.Append('\n').Append(' ', last * depth);
        sb.Append(close);
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case < ' ': sb.Append($"\\u{(int)c:x4}"); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }
}
