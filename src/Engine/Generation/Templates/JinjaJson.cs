using System.Globalization;
using System.Text;

namespace WebUI.Engine.Generation;

/// <summary>
/// The tojson filter as Hugging Face defines it: Python's json.dumps with ensure_ascii=False, so ", " and ": "
/// separate items (only "," and ": " with an indent), non-ASCII text stays as is and nothing is HTML-escaped.
/// The text is checked against the string limit item by item, and nesting against the depth limit.
/// </summary>
internal sealed class JinjaJson
{
    private readonly StringBuilder _sb = new();
    private readonly int? _indent;
    private readonly bool _sortKeys;
    private readonly TemplateLimits _limits;

    private JinjaJson(int? indent, bool sortKeys, TemplateLimits limits) => (_indent, _sortKeys, _limits) = (indent, sortKeys, limits);

    public static string Serialize(object? value, int? indent, bool sortKeys, TemplateLimits limits)
    {
        var json = new JinjaJson(indent, sortKeys, limits);
        json.Write(value, 0);
        return json._sb.ToString();
    }

    private void Write(object? value, int depth)
    {
        if (depth > _limits.MaxDepth) throw _limits.TooDeep();
        switch (value)
        {
            case null: _sb.Append("null"); break;
            case bool b: _sb.Append(b ? "true" : "false"); break;
            case long n: _sb.Append(n.ToString(CultureInfo.InvariantCulture)); break;
            case double d: _sb.Append(double.IsFinite(d) ? JinjaValues.FormatFloat(d) : double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity"); break;
            case string s: WriteString(s); break;
            case List<object?> list:
                WriteContainer('[', ']', list, item => Write(item, depth + 1), depth);
                break;
            case Dictionary<string, object?> dict:
                var entries = _sortKeys ? dict.OrderBy(e => e.Key, StringComparer.Ordinal).ToList() : dict.ToList();
                WriteContainer('{', '}', entries, entry =>
                {
                    WriteString(entry.Key);
                    _sb.Append(": ");
                    Write(entry.Value, depth + 1);
                }, depth);
                break;
            case JinjaNamespace ns: Write(ns.Attributes, depth); break;
            default: throw new TemplateException($"{JinjaValues.TypeName(value)} cannot be written as JSON");
        }
        _limits.CheckString(_sb.Length);
    }

    private void WriteContainer<T>(char open, char close, IReadOnlyList<T> items, Action<T> writeItem, int depth)
    {
        _sb.Append(open);
        if (items.Count == 0)
        {
            _sb.Append(close);
            return;
        }
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) _sb.Append(_indent is null ? ", " : ",");
            NewLine(depth + 1);
            writeItem(items[i]);
        }
        NewLine(depth);
        _sb.Append(close);
    }

    private void NewLine(int depth)
    {
        if (_indent is not int step) return;
        _limits.CheckString(_sb.Length + 1 + (long)step * depth);
        _sb.Append('\n').Append(' ', step * depth);
    }

    private void WriteString(string s)
    {
        _sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': _sb.Append("\\\""); break;
                case '\\': _sb.Append("\\\\"); break;
                case '\n': _sb.Append("\\n"); break;
                case '\r': _sb.Append("\\r"); break;
                case '\t': _sb.Append("\\t"); break;
                case '\b': _sb.Append("\\b"); break;
                case '\f': _sb.Append("\\f"); break;
                case < ' ': _sb.Append($"\\u{(int)c:x4}"); break;
                default: _sb.Append(c); break;
            }
        }
        _sb.Append('"');
    }
}
