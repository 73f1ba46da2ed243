using System.Runtime.CompilerServices;

namespace WebUI.Engine.Generation;

/// <summary>A cursor over a template's tokens, shared by the statement and expression parsers.</summary>
internal sealed class JinjaTokenStream(string template, List<JinjaToken> tokens, TemplateLimits limits)
{
    private int _index;
    private int _depth;

    /// <summary>
    /// Parses one nesting level (a block body or a sub-expression), failing at the token reached once nesting
    /// passes the limit, or before the stack runs out, rather than overflowing it.
    /// </summary>
    public T Nested<T>(Func<T> parse)
    {
        if (++_depth > limits.MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack()) throw Error(limits.TooDeep().Message);
        try { return parse(); }
        finally { _depth--; }
    }

    public JinjaToken Current => tokens[_index];
    /// <summary>The token after <see cref="Current"/>.</summary>
    public JinjaToken Peek() => tokens[Math.Min(_index + 1, tokens.Count - 1)];

    public JinjaToken Next()
    {
        var token = tokens[_index];
        if (_index < tokens.Count - 1) _index++;
        return token;
    }

    public bool SkipName(string name)
    {
        if (!Current.IsName(name)) return false;
        Next();
        return true;
    }

    public bool SkipOperator(string op)
    {
        if (!Current.IsOperator(op)) return false;
        Next();
        return true;
    }

    public void ExpectOperator(string op)
    {
        if (!SkipOperator(op)) throw Error($"expected '{op}', got {Current}");
    }

    public void Expect(JinjaTokenKind kind, string what)
    {
        if (Current.Kind != kind) throw Error($"expected {what}, got {Current}");
        Next();
    }

    public string ExpectName(string what)
    {
        if (Current.Kind != JinjaTokenKind.Name) throw Error($"expected {what}, got {Current}");
        return Next().Value;
    }

    public TemplateException Error(string problem) => ErrorAt(Current, problem);

    public TemplateException ErrorAt(JinjaToken token, string problem) => TemplateException.Syntax(template, token.At, problem);
}
