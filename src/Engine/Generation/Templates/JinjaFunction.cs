namespace WebUI.Engine.Generation;

/// <summary>Something a template can call: a global such as raise_exception or namespace, or a macro.</summary>
internal sealed class JinjaFunction(string name, Func<JinjaCallArguments, object?> invoke)
{
    public string Name { get; } = name;
    public object? Invoke(JinjaCallArguments arguments) => invoke(arguments);
}
