namespace WebUI.Engine.Generation;

/// <summary>1-based line and column in a template's source, for syntax errors.</summary>
internal readonly record struct JinjaPosition(int Line, int Column);

internal enum JinjaTokenKind
{
    /// <summary>Literal template text between tags, after whitespace control.</summary>
    Text,
    OutputBegin,
    OutputEnd,
    StatementBegin,
    StatementEnd,
    Name,
    /// <summary>A string literal; the value has its escapes resolved.</summary>
    String,
    Integer,
    Float,
    /// <summary>Operators and punctuation: + - * / // % ** ~ == != &lt; &lt;= &gt; &gt;= = ( ) [ ] { } , . : |</summary>
    Operator,
    EndOfSource,
}

internal readonly record struct JinjaToken(JinjaTokenKind Kind, string Value, JinjaPosition At)
{
    public bool IsName(string name) => Kind == JinjaTokenKind.Name && Value == name;
    public bool IsOperator(string op) => Kind == JinjaTokenKind.Operator && Value == op;

    public override string ToString() => Kind switch
    {
        JinjaTokenKind.EndOfSource => "end of template",
        JinjaTokenKind.OutputEnd => "'}}'",
        JinjaTokenKind.StatementEnd => "'%}'",
        JinjaTokenKind.String => $"string '{Value}'",
        _ => $"'{Value}'",
    };
}
