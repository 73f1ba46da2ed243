using System.Text;

namespace WebUI.Engine.Generation;

/// <summary>
/// Renders a parsed template. Scoping follows Jinja: each loop iteration and macro call gets its own scope, so a
/// {% set %} inside a loop does not outlive the iteration (templates use namespace() for that), while if blocks
/// share their enclosing scope. Every loop iteration, nesting level and appended text is counted against the
/// render's <see cref="TemplateLimits"/>, and every computed string and list is checked before it is built.
/// </summary>
internal sealed class JinjaRenderer(TemplateBudget budget)
{
    private enum Flow { Normal, Break, Continue }

    /// <summary>Deep enough for any real template, shallow enough that a macro calling itself forever fails cleanly.</summary>
    private const int MaxMacroDepth = 64;

    private readonly TemplateLimits _limits = budget.Limits;
    private int _macroDepth;

    /// <summary>
    /// Throws <see cref="TemplateException"/> (naming <paramref name="template"/>) when the template fails or passes
    /// one of <paramref name="limits"/>, and <see cref="OperationCanceledException"/> once <paramref name="cancel"/> is.
    /// </summary>
    public static string Render(string template, IReadOnlyList<JinjaNode> body, IReadOnlyDictionary<string, object?> variables,
        TemplateLimits limits, CancellationToken cancel)
    {
        var globals = new JinjaScope(null);
        foreach (var (name, value) in JinjaGlobals.Create(() => limits.Clock.GetLocalNow().DateTime, limits)) globals.Set(name, value);
        var scope = new JinjaScope(globals);
        foreach (var (name, value) in variables) scope.Set(name, value);
        var output = new StringBuilder();
        try
        {
            new JinjaRenderer(new TemplateBudget(limits, cancel)).RenderBody(body, scope, output);
        }
        catch (TemplateException e)
        {
            throw TemplateException.Render(template, e.Message);
        }
        catch (InsufficientExecutionStackException)
        {
            // Comparing values nested deeper than the stack allows (lists built inside lists in a loop).
            throw TemplateException.Render(template, "values nest too deeply");
        }
        return output.ToString();
    }

    private Flow RenderBody(IReadOnlyList<JinjaNode> nodes, JinjaScope scope, StringBuilder output)
    {
        budget.Enter();
        try
        {
            foreach (var node in nodes)
            {
                var flow = RenderNode(node, scope, output);
                if (flow != Flow.Normal) return flow;
            }
            return Flow.Normal;
        }
        finally
        {
            budget.Leave();
        }
    }

    private void Append(StringBuilder output, string text)
    {
        budget.CheckOutput((long)output.Length + text.Length);
        output.Append(text);
    }

    private Flow RenderNode(JinjaNode node, JinjaScope scope, StringBuilder output)
    {
        switch (node)
        {
            case TextNode text:
                Append(output, text.Text);
                return Flow.Normal;
            case OutputNode value:
                Append(output, JinjaValues.ToText(Evaluate(value.Value, scope), _limits));
                return Flow.Normal;
            case IfNode branches:
                foreach (var (condition, body) in branches.Branches)
                    if (JinjaValues.IsTrue(Evaluate(condition, scope))) return RenderBody(body, scope, output);
                return RenderBody(branches.Else, scope, output);
            case ForNode loop:
                RenderFor(loop, scope, output);
                return Flow.Normal;
            case SetNode { Attribute: null } set:
                scope.Set(set.Name, Evaluate(set.Value, scope));
                return Flow.Normal;
            case SetNode set:
                if (scope.Lookup(set.Name) is not JinjaNamespace ns)
                    throw new TemplateException($"cannot set '{set.Name}.{set.Attribute}': '{set.Name}' is not a namespace()");
                ns.Attributes[set.Attribute!] = Evaluate(set.Value, scope);
                return Flow.Normal;
            case SetBlockNode block:
                var captured = new StringBuilder();
                RenderBody(block.Body, scope, captured);
                scope.Set(block.Name, captured.ToString());
                return Flow.Normal;
            case MacroNode macro:
                scope.Set(macro.Name, DefineMacro(macro, scope));
                return Flow.Normal;
            case BreakNode:
                return Flow.Break;
            case ContinueNode:
                return Flow.Continue;
            default:
                throw new InvalidOperationException($"unhandled template node {node.GetType().Name}");
        }
    }

    private void RenderFor(ForNode loop, JinjaScope scope, StringBuilder output)
    {
        var items = JinjaValues.Iterate(Evaluate(loop.Items, scope));
        if (loop.Filter is { } filter)
            items = items.Where(item => JinjaValues.IsTrue(Evaluate(filter, Bind(loop.Targets, item, new JinjaScope(scope))))).ToList();
        for (int i = 0; i < items.Count; i++)
        {
            budget.CountIteration();
            var iteration = Bind(loop.Targets, items[i], new JinjaScope(scope));
            iteration.Set("loop", LoopVariable(items, i));
            if (RenderBody(loop.Body, iteration, output) == Flow.Break) break;
        }
        if (items.Count == 0) RenderBody(loop.Else, scope, output);
    }

    private static JinjaScope Bind(IReadOnlyList<string> targets, object? item, JinjaScope scope)
    {
        if (targets.Count == 1)
        {
            scope.Set(targets[0], item);
            return scope;
        }
        if (item is not List<object?> values || values.Count != targets.Count)
            throw new TemplateException($"cannot unpack {JinjaValues.TypeName(item)} into {targets.Count} loop variables");
        for (int i = 0; i < targets.Count; i++) scope.Set(targets[i], values[i]);
        return scope;
    }

    private static Dictionary<string, object?> LoopVariable(IReadOnlyList<object?> items, int i) => new()
    {
        ["index0"] = (long)i,
        ["index"] = (long)i + 1,
        ["revindex0"] = (long)(items.Count - i - 1),
        ["revindex"] = (long)(items.Count - i),
        ["first"] = i == 0,
        ["last"] = i == items.Count - 1,
        ["length"] = (long)items.Count,
        ["previtem"] = i > 0 ? items[i - 1] : new JinjaUndefined("loop.previtem"),
        ["nextitem"] = i < items.Count - 1 ? items[i + 1] : new JinjaUndefined("loop.nextitem"),
        ["depth"] = 1L,
        ["depth0"] = 0L,
        ["cycle"] = new JinjaFunction("loop.cycle", args => args.Positional.Count == 0
            ? throw new TemplateException("loop.cycle needs at least one value")
            : args.Positional[i % args.Positional.Count]),
    };

    private JinjaFunction DefineMacro(MacroNode macro, JinjaScope definedIn) => new(macro.Name, args =>
    {
        if (++_macroDepth > MaxMacroDepth) throw new TemplateException($"macro '{macro.Name}' nests deeper than {MaxMacroDepth} calls");
        try
        {
            var scope = new JinjaScope(definedIn);
            for (int i = 0; i < macro.Parameters.Count; i++)
            {
                var (name, fallback) = macro.Parameters[i];
                scope.Set(name, args.Has(i, name) ? args.Get(i, name) : fallback is null ? new JinjaUndefined(name) : Evaluate(fallback, scope));
            }
            var output = new StringBuilder();
            RenderBody(macro.Body, scope, output);
            return output.ToString();
        }
        finally
        {
            _macroDepth--;
        }
    });

    private object? Evaluate(JinjaExpr expr, JinjaScope scope)
    {
        budget.Enter();
        try
        {
            return EvaluateNode(expr, scope);
        }
        finally
        {
            budget.Leave();
        }
    }

    private object? EvaluateNode(JinjaExpr expr, JinjaScope scope) => expr switch
    {
        LiteralExpr literal => literal.Value,
        ListExpr list => list.Items.Select(item => Evaluate(item, scope)).ToList(),
        DictExpr dict => EvaluateDict(dict, scope),
        VariableExpr variable => scope.Lookup(variable.Name),
        AttributeExpr attribute => JinjaOperators.Attribute(Evaluate(attribute.Target, scope), attribute.Name),
        ItemExpr item => JinjaOperators.Item(Evaluate(item.Target, scope), Evaluate(item.Key, scope)),
        SliceExpr slice => JinjaOperators.Slice(Evaluate(slice.Target, scope), EvaluateOptional(slice.Start, scope),
            EvaluateOptional(slice.Stop, scope), EvaluateOptional(slice.Step, scope)),
        CallExpr call => Call(call, scope),
        FilterExpr filter => JinjaFilters.Apply(filter.Name, Evaluate(filter.Target, scope), EvaluateArguments(filter.Arguments, scope), _limits),
        TestExpr test => test.Negated != JinjaTests.Apply(test.Name, Evaluate(test.Target, scope), EvaluateArguments(test.Arguments, scope)),
        UnaryExpr unary => JinjaOperators.Unary(unary.Operator, Evaluate(unary.Operand, scope)),
        BinaryExpr { Operator: "and" } and => Evaluate(and.Left, scope) is var left && !JinjaValues.IsTrue(left) ? left : Evaluate(and.Right, scope),
        BinaryExpr { Operator: "or" } or => Evaluate(or.Left, scope) is var left && JinjaValues.IsTrue(left) ? left : Evaluate(or.Right, scope),
        BinaryExpr binary => JinjaOperators.Binary(binary.Operator, Evaluate(binary.Left, scope), Evaluate(binary.Right, scope), _limits),
        ConditionalExpr conditional => JinjaValues.IsTrue(Evaluate(conditional.Condition, scope))
            ? Evaluate(conditional.Then, scope)
            : conditional.Otherwise is { } otherwise ? Evaluate(otherwise, scope) : new JinjaUndefined("conditional"),
        _ => throw new InvalidOperationException($"unhandled template expression {expr.GetType().Name}"),
    };

    /// <summary>A dict literal; keys are read as text and a repeated key keeps its last value, as in Python.</summary>
    private Dictionary<string, object?> EvaluateDict(DictExpr dict, JinjaScope scope)
    {
        var values = new Dictionary<string, object?>();
        foreach (var (key, value) in dict.Entries) values[JinjaValues.ToText(Evaluate(key, scope), _limits)] = Evaluate(value, scope);
        return values;
    }

    private object? EvaluateOptional(JinjaExpr? expr, JinjaScope scope) => expr is null ? null : Evaluate(expr, scope);

    private JinjaCallArguments EvaluateArguments(JinjaArguments arguments, JinjaScope scope) => new(
        arguments.Positional.Select(a => Evaluate(a, scope)).ToList(),
        arguments.Named.ToDictionary(a => a.Name, a => Evaluate(a.Value, scope)));

    /// <summary>
    /// A call. On a string or dict, x.name(...) is the Python method (dict methods win over keys, as in Python,
    /// unless the key holds something callable, like loop.cycle); anything else must evaluate to a function.
    /// </summary>
    private object? Call(CallExpr call, JinjaScope scope)
    {
        var args = EvaluateArguments(call.Arguments, scope);
        if (call.Callee is AttributeExpr method)
        {
            var target = Evaluate(method.Target, scope);
            bool storedFunction = JinjaOperators.Attribute(target, method.Name) is JinjaFunction;
            if (target is string || (target is Dictionary<string, object?> && !storedFunction))
                return JinjaMethods.Call(target, method.Name, args, _limits);
            return Invoke(JinjaOperators.Attribute(target, method.Name), method.Name, args);
        }
        return Invoke(Evaluate(call.Callee, scope), call.Callee is VariableExpr v ? v.Name : "expression", args);
    }

    private static object? Invoke(object? callee, string name, JinjaCallArguments args) => callee switch
    {
        JinjaFunction function => function.Invoke(args),
        JinjaUndefined => throw new TemplateException($"'{name}' is undefined"),
        _ => throw new TemplateException($"'{name}' is not callable ({JinjaValues.TypeName(callee)})"),
    };
}
