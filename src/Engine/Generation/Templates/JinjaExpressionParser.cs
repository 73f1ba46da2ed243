using System.Globalization;

namespace WebUI.Engine.Generation;

/// <summary>
/// Parses Jinja expressions with Jinja's precedence, loosest first: a if c else b; or; and; not; comparisons and
/// in / not in; + -; ~; * / // %; **; unary - +; then postfix access, calls, filters (|) and tests (is).
/// </summary>
internal sealed class JinjaExpressionParser(JinjaTokenStream tokens)
{
    private static readonly HashSet<string> ComparisonOperators = ["==", "!=", "<", "<=", ">", ">="];

    /// <param name="withConditional">False where a trailing "if" belongs to the statement ({% for x in xs if ... %}).</param>
    public JinjaExpr Parse(bool withConditional = true) => tokens.Nested(() => ParseConditional(withConditional));

    private JinjaExpr ParseConditional(bool withConditional)
    {
        var expr = ParseOr();
        while (withConditional && tokens.SkipName("if"))
        {
            var condition = ParseOr();
            var otherwise = tokens.SkipName("else") ? Parse() : null;
            expr = new ConditionalExpr(condition, expr, otherwise);
        }
        return expr;
    }

    /// <summary>An expression, or several separated by commas, which make a tuple (read as a list).</summary>
    public JinjaExpr ParseTuple(bool withConditional = true)
    {
        var first = Parse(withConditional);
        if (!tokens.Current.IsOperator(",")) return first;
        var items = new List<JinjaExpr> { first };
        while (tokens.SkipOperator(",") && !EndsTuple()) items.Add(Parse(withConditional));
        return new ListExpr(items);
    }

    private bool EndsTuple() => tokens.Current.Kind is JinjaTokenKind.StatementEnd or JinjaTokenKind.OutputEnd
        || tokens.Current.IsOperator(")") || tokens.Current.IsName("if");

    private JinjaExpr ParseOr()
    {
        var left = ParseAnd();
        while (tokens.SkipName("or")) left = new BinaryExpr("or", left, ParseAnd());
        return left;
    }

    private JinjaExpr ParseAnd()
    {
        var left = ParseNot();
        while (tokens.SkipName("and")) left = new BinaryExpr("and", left, ParseNot());
        return left;
    }

    private JinjaExpr ParseNot() => tokens.SkipName("not") ? new UnaryExpr("not", tokens.Nested(ParseNot)) : ParseComparison();

    private JinjaExpr ParseComparison()
    {
        var left = ParseSum();
        while (true)
        {
            var token = tokens.Current;
            if (token.Kind == JinjaTokenKind.Operator && ComparisonOperators.Contains(token.Value))
            {
                tokens.Next();
                left = new BinaryExpr(token.Value, left, ParseSum());
            }
            else if (tokens.SkipName("in")) left = new BinaryExpr("in", left, ParseSum());
            else if (token.IsName("not") && tokens.Peek().IsName("in"))
            {
                tokens.Next();
                tokens.Next();
                left = new BinaryExpr("not in", left, ParseSum());
            }
            else return left;
        }
    }

    private JinjaExpr ParseSum() => ParseLeftAssociative(ParseConcat, "+", "-");
    private JinjaExpr ParseConcat() => ParseLeftAssociative(ParseProduct, "~");
    private JinjaExpr ParseProduct() => ParseLeftAssociative(ParsePower, "*", "/", "//", "%");
    private JinjaExpr ParsePower() => ParseLeftAssociative(() => ParseUnary(withFilters: true), "**");

    private JinjaExpr ParseLeftAssociative(Func<JinjaExpr> operand, params string[] operators)
    {
        var left = operand();
        while (tokens.Current.Kind == JinjaTokenKind.Operator && operators.Contains(tokens.Current.Value))
            left = new BinaryExpr(tokens.Next().Value, left, operand());
        return left;
    }

    private JinjaExpr ParseUnary(bool withFilters)
    {
        JinjaExpr expr = tokens.Current.IsOperator("-") || tokens.Current.IsOperator("+")
            ? new UnaryExpr(tokens.Next().Value, tokens.Nested(() => ParseUnary(withFilters: false)))
            : ParsePrimary();
        expr = ParsePostfix(expr);
        return withFilters ? ParseFiltersAndTests(expr) : expr;
    }

    private JinjaExpr ParsePrimary()
    {
        var token = tokens.Next();
        switch (token.Kind)
        {
            case JinjaTokenKind.Name:
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpr(true),
                    "false" or "False" => new LiteralExpr(false),
                    "none" or "None" => new LiteralExpr(null),
                    _ => new VariableExpr(token.Value),
                };
            case JinjaTokenKind.String:
                // Adjacent string literals join, as in Python: 'a' 'b' == 'ab'.
                string text = token.Value;
                while (tokens.Current.Kind == JinjaTokenKind.String) text += tokens.Next().Value;
                return new LiteralExpr(text);
            case JinjaTokenKind.Integer:
                return new LiteralExpr(long.Parse(token.Value, CultureInfo.InvariantCulture));
            case JinjaTokenKind.Float:
                return new LiteralExpr(double.Parse(token.Value, CultureInfo.InvariantCulture));
            case JinjaTokenKind.Operator when token.Value == "(":
                if (tokens.SkipOperator(")")) return new ListExpr([]);
                var inner = ParseTuple();
                tokens.ExpectOperator(")");
                return inner;
            case JinjaTokenKind.Operator when token.Value == "[":
                var items = ParseSequence("]", () => Parse());
                return new ListExpr(items);
            case JinjaTokenKind.Operator when token.Value == "{":
                var entries = ParseSequence("}", () =>
                {
                    var key = Parse();
                    tokens.ExpectOperator(":");
                    return (key, Parse());
                });
                return new DictExpr(entries);
        }
        throw tokens.ErrorAt(token, $"unexpected {token}");
    }

    /// <summary>Comma-separated items up to <paramref name="close"/>, a trailing comma allowed.</summary>
    private List<T> ParseSequence<T>(string close, Func<T> item)
    {
        var items = new List<T>();
        while (!tokens.SkipOperator(close))
        {
            if (items.Count > 0) tokens.ExpectOperator(",");
            if (tokens.SkipOperator(close)) break;
            items.Add(item());
        }
        return items;
    }

    private JinjaExpr ParsePostfix(JinjaExpr expr)
    {
        while (true)
        {
            if (tokens.SkipOperator("."))
            {
                expr = tokens.Current.Kind == JinjaTokenKind.Integer
                    ? new ItemExpr(expr, new LiteralExpr(long.Parse(tokens.Next().Value, CultureInfo.InvariantCulture)))
                    : new AttributeExpr(expr, tokens.ExpectName("an attribute name after '.'"));
            }
            else if (tokens.SkipOperator("[")) expr = ParseSubscript(expr);
            else if (tokens.SkipOperator("(")) expr = new CallExpr(expr, ParseArguments());
            else return expr;
        }
    }

    private JinjaExpr ParseSubscript(JinjaExpr target)
    {
        JinjaExpr? start = tokens.Current.IsOperator(":") ? null : Parse();
        if (start is not null && tokens.SkipOperator("]")) return new ItemExpr(target, start);
        tokens.ExpectOperator(":");
        JinjaExpr? stop = tokens.Current.IsOperator(":") || tokens.Current.IsOperator("]") ? null : Parse();
        JinjaExpr? step = tokens.SkipOperator(":") && !tokens.Current.IsOperator("]") ? Parse() : null;
        tokens.ExpectOperator("]");
        return new SliceExpr(target, start, stop, step);
    }

    /// <summary>Call arguments after "(": positional ones, then name=value ones.</summary>
    private JinjaArguments ParseArguments()
    {
        var positional = new List<JinjaExpr>();
        var named = new List<(string, JinjaExpr)>();
        foreach (var (name, value) in ParseSequence(")", ParseArgument))
        {
            if (name is not null) named.Add((name, value));
            else if (named.Count > 0) throw tokens.Error("a positional argument follows a keyword argument");
            else positional.Add(value);
        }
        return new JinjaArguments(positional, named);
    }

    private (string? Name, JinjaExpr Value) ParseArgument()
    {
        if (tokens.Current.Kind == JinjaTokenKind.Name && tokens.Peek().IsOperator("="))
        {
            string name = tokens.Next().Value;
            tokens.Next();
            return (name, Parse());
        }
        return (null, Parse());
    }

    private JinjaExpr ParseFiltersAndTests(JinjaExpr expr)
    {
        while (true)
        {
            if (tokens.SkipOperator("|"))
            {
                string name = tokens.ExpectName("a filter name after '|'");
                var arguments = tokens.SkipOperator("(") ? ParseArguments() : JinjaArguments.None;
                expr = ParsePostfix(new FilterExpr(expr, name, arguments));
            }
            else if (tokens.SkipName("is"))
            {
                bool negated = tokens.SkipName("not");
                string name = tokens.ExpectName("a test name after 'is'");
                expr = new TestExpr(expr, name, ParseTestArguments(), negated);
            }
            else return expr;
        }
    }

    /// <summary>A test takes (arguments), or one bare argument as in "x is divisibleby 3" or "x is sameas none".</summary>
    private JinjaArguments ParseTestArguments()
    {
        if (tokens.SkipOperator("(")) return ParseArguments();
        var token = tokens.Current;
        bool startsArgument = token.Kind is JinjaTokenKind.Name or JinjaTokenKind.String or JinjaTokenKind.Integer or JinjaTokenKind.Float
            || token.IsOperator("[") || token.IsOperator("{");
        if (!startsArgument || token.IsName("else") || token.IsName("or") || token.IsName("and")) return JinjaArguments.None;
        return new JinjaArguments([ParsePostfix(ParsePrimary())], []);
    }
}
