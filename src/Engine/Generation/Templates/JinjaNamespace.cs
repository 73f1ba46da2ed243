namespace WebUI.Engine.Generation;

/// <summary>
/// What namespace(...) makes: the one mutable object a template can assign into ({% set ns.found = true %}), which is
/// how a value set inside a loop survives the loop.
/// </summary>
internal sealed class JinjaNamespace(Dictionary<string, object?> attributes)
{
    public Dictionary<string, object?> Attributes { get; } = attributes;
}
