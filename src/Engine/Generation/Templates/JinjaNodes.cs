namespace WebUI.Engine.Generation;

// The syntax tree of a parsed template: statements (JinjaNode) hold expressions (JinjaExpr).

internal abstract record JinjaNode;

internal sealed record TextNode(string Text) : JinjaNode;

internal sealed record OutputNode(JinjaExpr Value) : JinjaNode;

internal sealed record IfNode(IReadOnlyList<(JinjaExpr Condition, IReadOnlyList<JinjaNode> Body)> Branches, IReadOnlyList<JinjaNode> Else) : JinjaNode;

/// <summary>{% for a, b in items if filter %} body {% else %} (when nothing was iterated) {% endfor %}</summary>
internal sealed record ForNode(IReadOnlyList<string> Targets, JinjaExpr Items, JinjaExpr? Filter,
    IReadOnlyList<JinjaNode> Body, IReadOnlyList<JinjaNode> Else) : JinjaNode;

/// <summary>{% set name = value %}, or {% set name.attribute = value %} on a namespace() object.</summary>
internal sealed record SetNode(string Name, string? Attribute, JinjaExpr Value) : JinjaNode;

/// <summary>{% set name %} body {% endset %}: the rendered body becomes the value.</summary>
internal sealed record SetBlockNode(string Name, IReadOnlyList<JinjaNode> Body) : JinjaNode;

internal sealed record MacroNode(string Name, IReadOnlyList<(string Name, JinjaExpr? Default)> Parameters,
    IReadOnlyList<JinjaNode> Body) : JinjaNode;

internal sealed record BreakNode : JinjaNode;

internal sealed record ContinueNode : JinjaNode;

internal abstract record JinjaExpr;

internal sealed record LiteralExpr(object? Value) : JinjaExpr;

internal sealed record ListExpr(IReadOnlyList<JinjaExpr> Items) : JinjaExpr;

internal sealed record DictExpr(IReadOnlyList<(JinjaExpr Key, JinjaExpr Value)> Entries) : JinjaExpr;

internal sealed record VariableExpr(string Name) : JinjaExpr;

/// <summary>target.name: an attribute, else the item of that name.</summary>
internal sealed record AttributeExpr(JinjaExpr Target, string Name) : JinjaExpr;

/// <summary>target[key]: an item, else the attribute of that name.</summary>
internal sealed record ItemExpr(JinjaExpr Target, JinjaExpr Key) : JinjaExpr;

internal sealed record SliceExpr(JinjaExpr Target, JinjaExpr? Start, JinjaExpr? Stop, JinjaExpr? Step) : JinjaExpr;

internal sealed record JinjaArguments(IReadOnlyList<JinjaExpr> Positional, IReadOnlyList<(string Name, JinjaExpr Value)> Named)
{
    public static readonly JinjaArguments None = new([], []);
}

internal sealed record CallExpr(JinjaExpr Callee, JinjaArguments Arguments) : JinjaExpr;

/// <summary>target | name(arguments)</summary>
internal sealed record FilterExpr(JinjaExpr Target, string Name, JinjaArguments Arguments) : JinjaExpr;

/// <summary>target is [not] name(arguments)</summary>
internal sealed record TestExpr(JinjaExpr Target, string Name, JinjaArguments Arguments, bool Negated) : JinjaExpr;

/// <summary>not, unary - and +.</summary>
internal sealed record UnaryExpr(string Operator, JinjaExpr Operand) : JinjaExpr;

/// <summary>Arithmetic, ~, comparisons, in / not in, and / or (short-circuit).</summary>
internal sealed record BinaryExpr(string Operator, JinjaExpr Left, JinjaExpr Right) : JinjaExpr;

/// <summary>then if condition else otherwise; without else, an undefined value when false.</summary>
internal sealed record ConditionalExpr(JinjaExpr Condition, JinjaExpr Then, JinjaExpr? Otherwise) : JinjaExpr;
