namespace WebUI.Engine.Generation;

/// <summary>
/// Parses a template's statements: if / elif / else, for (with a filter and else), set (plain, namespace attribute
/// and block), macro, break / continue (Jinja's loopcontrols, which Hugging Face enables) and generation (HF's marker
/// for assistant text, rendered as its body). Expressions go to <see cref="JinjaExpressionParser"/>.
/// </summary>
internal sealed class JinjaParser
{
    private readonly JinjaTokenStream _tokens;
    private readonly JinjaExpressionParser _expressions;
    /// <summary>How many for loops enclose the statement being parsed (break and continue need one).</summary>
    private int _loopDepth;

    private JinjaParser(string template, string source, TemplateLimits limits)
    {
        _tokens = new JinjaTokenStream(template, JinjaLexer.Tokenize(template, source), limits);
        _expressions = new JinjaExpressionParser(_tokens);
    }

    /// <summary>Throws <see cref="TemplateException"/> with the line and column of the first syntax error.</summary>
    public static IReadOnlyList<JinjaNode> Parse(string template, string source, TemplateLimits limits)
    {
        var parser = new JinjaParser(template, source, limits);
        var (body, _) = parser.ParseBody();
        return body;
    }

    /// <summary>
    /// Nodes up to one of <paramref name="endTags"/> (its name consumed, the rest of its tag not) or, with none
    /// given, the end of the source.
    /// </summary>
    private (List<JinjaNode> Body, string EndTag) ParseBody(params string[] endTags) => _tokens.Nested(() => ParseBodyContents(endTags));

    private (List<JinjaNode> Body, string EndTag) ParseBodyContents(string[] endTags)
    {
        var body = new List<JinjaNode>();
        while (true)
        {
            var token = _tokens.Next();
            switch (token.Kind)
            {
                case JinjaTokenKind.Text:
                    body.Add(new TextNode(token.Value));
                    break;
                case JinjaTokenKind.OutputBegin:
                    body.Add(new OutputNode(_expressions.Parse()));
                    _tokens.Expect(JinjaTokenKind.OutputEnd, "'}}'");
                    break;
                case JinjaTokenKind.StatementBegin:
                    var name = _tokens.Current;
                    if (endTags.Contains(name.Value) && name.Kind == JinjaTokenKind.Name) return (body, _tokens.Next().Value);
                    body.AddRange(ParseStatement());
                    break;
                case JinjaTokenKind.EndOfSource when endTags.Length == 0:
                    return (body, "");
                default:
                    throw _tokens.ErrorAt(token, endTags.Length == 0
                        ? $"unexpected {token}"
                        : $"unexpected {token}, expected {string.Join(" or ", endTags.Select(t => $"'{t}'"))}");
            }
        }
    }

    private IEnumerable<JinjaNode> ParseStatement()
    {
        var keyword = _tokens.Current;
        if (keyword.Kind != JinjaTokenKind.Name) throw _tokens.Error($"expected a statement name, got {keyword}");
        _tokens.Next();
        switch (keyword.Value)
        {
            case "if": return [ParseIf()];
            case "for": return [ParseFor()];
            case "set": return [ParseSet()];
            case "macro": return [ParseMacro()];
            case "break" or "continue":
                if (_loopDepth == 0) throw _tokens.ErrorAt(keyword, $"'{keyword.Value}' outside a for loop");
                EndTag();
                return [keyword.Value == "break" ? new BreakNode() : new ContinueNode()];
            case "generation":
                EndTag();
                var (body, _) = ParseBody("endgeneration");
                EndTag();
                return body;
            default:
                throw _tokens.ErrorAt(keyword, $"unknown or misplaced statement '{keyword.Value}'");
        }
    }

    private void EndTag() => _tokens.Expect(JinjaTokenKind.StatementEnd, "'%}'");

    private IfNode ParseIf()
    {
        var branches = new List<(JinjaExpr, IReadOnlyList<JinjaNode>)>();
        while (true)
        {
            var condition = _expressions.Parse();
            EndTag();
            var (body, end) = ParseBody("elif", "else", "endif");
            branches.Add((condition, body));
            if (end == "elif") continue;
            IReadOnlyList<JinjaNode> otherwise = [];
            if (end == "else")
            {
                EndTag();
                (otherwise, _) = ParseBody("endif");
            }
            EndTag();
            return new IfNode(branches, otherwise);
        }
    }

    private ForNode ParseFor()
    {
        var targets = new List<string> { _tokens.ExpectName("a loop variable") };
        while (_tokens.SkipOperator(",")) targets.Add(_tokens.ExpectName("a loop variable"));
        if (!_tokens.SkipName("in")) throw _tokens.Error($"expected 'in', got {_tokens.Current}");
        var items = _expressions.ParseTuple(withConditional: false);
        var filter = _tokens.SkipName("if") ? _expressions.Parse() : null;
        if (_tokens.Current.IsName("recursive")) throw _tokens.Error("recursive loops are not supported");
        EndTag();
        _loopDepth++;
        var (body, end) = ParseBody("else", "endfor");
        _loopDepth--;
        IReadOnlyList<JinjaNode> otherwise = [];
        if (end == "else")
        {
            EndTag();
            (otherwise, _) = ParseBody("endfor");
        }
        EndTag();
        return new ForNode(targets, items, filter, body, otherwise);
    }

    private JinjaNode ParseSet()
    {
        string name = _tokens.ExpectName("a variable name");
        string? attribute = _tokens.SkipOperator(".") ? _tokens.ExpectName("an attribute name") : null;
        if (attribute is null && _tokens.Current.Kind == JinjaTokenKind.StatementEnd)
        {
            EndTag();
            var (body, _) = ParseBody("endset");
            EndTag();
            return new SetBlockNode(name, body);
        }
        _tokens.ExpectOperator("=");
        var value = _expressions.ParseTuple();
        EndTag();
        return new SetNode(name, attribute, value);
    }

    private MacroNode ParseMacro()
    {
        string name = _tokens.ExpectName("a macro name");
        _tokens.ExpectOperator("(");
        var parameters = new List<(string, JinjaExpr?)>();
        while (!_tokens.SkipOperator(")"))
        {
            if (parameters.Count > 0) _tokens.ExpectOperator(",");
            string parameter = _tokens.ExpectName("a parameter name");
            parameters.Add((parameter, _tokens.SkipOperator("=") ? _expressions.Parse() : null));
        }
        EndTag();
        int enclosingLoops = _loopDepth;
        _loopDepth = 0;
        var (body, _) = ParseBody("endmacro");
        _loopDepth = enclosingLoops;
        EndTag();
        return new MacroNode(name, parameters, body);
    }
}
