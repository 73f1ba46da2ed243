using System.Globalization;
using System.Text;

namespace WebUI.Engine.Generation;

/// <summary>
/// Splits a Jinja template into text and tag tokens the way Hugging Face's environment does: trim_blocks (a newline
/// right after a block or comment tag is dropped), lstrip_blocks (spaces and tabs from the start of a line up to a
/// block or comment tag are dropped), '-' on a tag strips all whitespace on that side, '+' turns both off. Like
/// Jinja, \r\n and \r read as \n and one final newline of the source is dropped (keep_trailing_newline=False).
/// </summary>
internal sealed class JinjaLexer
{
    private static readonly string[] TwoCharOperators = ["//", "**", "==", "!=", "<=", ">="];
    private const string OneCharOperators = "+-*/%~<>=()[]{},.:|";

    private readonly string _template;
    private readonly string _source;
    private readonly List<int> _lineStarts = [0];
    private readonly List<JinjaToken> _tokens = [];
    private int _pos;

    private JinjaLexer(string template, string source)
    {
        _template = template;
        source = source.Replace("\r\n", "\n").Replace('\r', '\n');
        _source = source.EndsWith('\n') ? source[..^1] : source;
        for (int i = 0; i < _source.Length; i++)
            if (_source[i] == '\n') _lineStarts.Add(i + 1);
    }

    public static List<JinjaToken> Tokenize(string template, string source) => new JinjaLexer(template, source).Run();

    private List<JinjaToken> Run()
    {
        // Whether the text that follows starts a line: at the start, or after a tag whose trimming ate a newline.
        bool lineStarting = true;
        while (_pos < _source.Length)
        {
            int tag = NextTagStart(_pos);
            string text = _source[_pos..(tag < 0 ? _source.Length : tag)];
            if (tag >= 0) text = StripBeforeTag(text, tag, lineStarting);
            if (text.Length > 0) Add(JinjaTokenKind.Text, text, _pos);
            if (tag < 0) break;
            lineStarting = ReadTag(tag);
        }
        Add(JinjaTokenKind.EndOfSource, "", _source.Length);
        return _tokens;
    }

    private int NextTagStart(int from)
    {
        for (int i = _source.IndexOf('{', from); i >= 0 && i + 1 < _source.Length; i = _source.IndexOf('{', i + 1))
            if (_source[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    private char SignAfterOpening(int tag) => tag + 2 < _source.Length && _source[tag + 2] is '-' or '+' ? _source[tag + 2] : '\0';

    private string StripBeforeTag(string text, int tag, bool lineStarting)
    {
        char sign = SignAfterOpening(tag);
        if (sign == '-') return text.TrimEnd();
        if (sign == '+' || _source[tag + 1] == '{') return text;
        int lineStart = text.LastIndexOf('\n') + 1;
        bool onlyIndent = lineStart < text.Length && text.AsSpan(lineStart).Trim(" \t").IsEmpty;
        return (lineStart > 0 || lineStarting) && onlyIndent ? text[..lineStart] : text;
    }

    /// <summary>Reads the tag at <paramref name="tag"/>; returns whether the text after it starts a line.</summary>
    private bool ReadTag(int tag)
    {
        char kind = _source[tag + 1];
        int p = tag + 2 + (SignAfterOpening(tag) == '\0' ? 0 : 1);
        char closingSign;
        if (kind == '#')
        {
            int close = _source.IndexOf("#}", p, StringComparison.Ordinal);
            if (close < 0) throw Error(tag, "comment is not closed with '#}'");
            closingSign = close > p && _source[close - 1] is '-' or '+' ? _source[close - 1] : '\0';
            p = close + 2;
        }
        else
        {
            bool output = kind == '{';
            Add(output ? JinjaTokenKind.OutputBegin : JinjaTokenKind.StatementBegin, "", tag);
            (p, closingSign) = ReadTagBody(p, output, tag);
        }

        if (closingSign == '-')
        {
            int q = p;
            while (q < _source.Length && char.IsWhiteSpace(_source[q])) q++;
            _pos = q;
            return q > p && _source[q - 1] == '\n';
        }
        bool trims = kind != '{' && closingSign != '+' && p < _source.Length && _source[p] == '\n';
        _pos = trims ? p + 1 : p;
        return trims;
    }

    /// <summary>Tokens of an expression or statement and its closing "}}" or "%}"; returns the position after it and its sign.</summary>
    private (int After, char Sign) ReadTagBody(int p, bool output, int tag)
    {
        string close = output ? "}}" : "%}";
        var endKind = output ? JinjaTokenKind.OutputEnd : JinjaTokenKind.StatementEnd;
        // Jinja only looks for the closing marker outside brackets, so "{{ {'a': {'b': 1}} }}" reads as one dict.
        var open = new Stack<char>();
        while (true)
        {
            while (p < _source.Length && char.IsWhiteSpace(_source[p])) p++;
            if (p >= _source.Length) throw Error(tag, $"tag is not closed with '{close}'");
            if (open.Count == 0)
            {
                char sign = _source[p] is '-' or '+' ? _source[p] : '\0';
                int marker = sign == '\0' ? p : p + 1;
                if (At(marker, close) && !(output && sign == '+'))
                {
                    Add(endKind, "", p);
                    return (marker + 2, sign);
                }
            }
            p = ReadToken(p, open);
        }
    }

    private int ReadToken(int p, Stack<char> open)
    {
        char c = _source[p];
        if (char.IsLetter(c) || c == '_')
        {
            int end = p + 1;
            while (end < _source.Length && (char.IsLetterOrDigit(_source[end]) || _source[end] == '_')) end++;
            Add(JinjaTokenKind.Name, _source[p..end], p);
            return end;
        }
        if (char.IsAsciiDigit(c)) return ReadNumber(p);
        if (c is '\'' or '"') return ReadString(p);

        string? op = TwoCharOperators.FirstOrDefault(o => At(p, o)) ?? (OneCharOperators.Contains(c) ? c.ToString() : null);
        if (op is null) throw Error(p, $"unexpected character '{c}'");
        if (op is "(" or "[" or "{") open.Push(op[0]);
        if (op is ")" or "]" or "}")
        {
            char expected = op switch { ")" => '(', "]" => '[', _ => '{' };
            if (open.Count == 0 || open.Pop() != expected) throw Error(p, $"unexpected '{op}'");
        }
        Add(JinjaTokenKind.Operator, op, p);
        return p + op.Length;
    }

    private int ReadNumber(int p)
    {
        int end = SkipDigits(p);
        bool isFloat = false;
        if (end + 1 < _source.Length && _source[end] == '.' && char.IsAsciiDigit(_source[end + 1]))
        {
            end = SkipDigits(end + 1);
            isFloat = true;
        }
        if (end < _source.Length && _source[end] is 'e' or 'E')
        {
            int digits = end + 1 < _source.Length && _source[end + 1] is '+' or '-' ? end + 2 : end + 1;
            if (digits < _source.Length && char.IsAsciiDigit(_source[digits]))
            {
                end = SkipDigits(digits);
                isFloat = true;
            }
        }
        string text = _source[p..end].Replace("_", "");
        Add(isFloat ? JinjaTokenKind.Float : JinjaTokenKind.Integer, text, p);
        return end;
    }

    private int SkipDigits(int p)
    {
        while (p < _source.Length && (char.IsAsciiDigit(_source[p]) || _source[p] == '_')) p++;
        return p;
    }

    /// <summary>A quoted string with Python's escapes (\n, \t, \', \\, \xhh, \uhhhh, ...); unknown escapes stay as written.</summary>
    private int ReadString(int start)
    {
        char quote = _source[start];
        var value = new StringBuilder();
        int p = start + 1;
        while (true)
        {
            if (p >= _source.Length) throw Error(start, "string is not closed");
            char c = _source[p++];
            if (c == quote) break;
            if (c != '\\' || p >= _source.Length) { value.Append(c); continue; }
            char e = _source[p++];
            switch (e)
            {
                case 'n': value.Append('\n'); break;
                case 't': value.Append('\t'); break;
                case 'r': value.Append('\r'); break;
                case '0': value.Append('\0'); break;
                case 'a': value.Append('\a'); break;
                case 'b': value.Append('\b'); break;
                case 'f': value.Append('\f'); break;
                case 'v': value.Append('\v'); break;
                case '\n': break;
                case '\\' or '\'' or '"': value.Append(e); break;
                case 'x' or 'u' or 'U':
                    int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (p + digits > _source.Length || !int.TryParse(_source.AsSpan(p, digits), NumberStyles.HexNumber, null, out int code))
                        throw Error(p - 2, $"malformed \\{e} escape in string");
                    value.Append(char.ConvertFromUtf32(code));
                    p += digits;
                    break;
                default: value.Append('\\').Append(e); break;
            }
        }
        Add(JinjaTokenKind.String, value.ToString(), start);
        return p;
    }

    private bool At(int p, string s) => string.CompareOrdinal(_source, p, s, 0, s.Length) == 0;

    private void Add(JinjaTokenKind kind, string value, int index) => _tokens.Add(new JinjaToken(kind, value, PositionOf(index)));

    private JinjaPosition PositionOf(int index)
    {
        int line = _lineStarts.BinarySearch(index);
        if (line < 0) line = ~line - 1;
        return new JinjaPosition(line + 1, index - _lineStarts[line] + 1);
    }

    private TemplateException Error(int index, string problem) => TemplateException.Syntax(_template, PositionOf(index), problem);
}
