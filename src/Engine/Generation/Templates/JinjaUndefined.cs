namespace WebUI.Engine.Generation;

/// <summary>
/// A variable, attribute or item that does not exist. It prints as nothing, is false, iterates as empty and, unlike
/// Jinja's default (which fails), yields itself for further attribute or item access, so message.tool_calls.x is
/// just undefined.
/// </summary>
internal sealed class JinjaUndefined(string name)
{
    public string Name { get; } = name;
}
