namespace WebUI.Engine.Generation;

/// <summary>Variables of one scope, falling back to the enclosing one; a missing name reads as undefined.</summary>
internal sealed class JinjaScope(JinjaScope? parent)
{
    private readonly Dictionary<string, object?> _variables = [];

    public object? Lookup(string name)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
            if (scope._variables.TryGetValue(name, out var value)) return value;
        return new JinjaUndefined(name);
    }

    public void Set(string name, object? value) => _variables[name] = value;

    private JinjaScope? Parent => parent;
}
