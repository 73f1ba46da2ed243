namespace WebUI.Engine.Generation;

/// <summary>Evaluated call arguments, read Python-style: by position, else by name, else a default.</summary>
internal sealed class JinjaCallArguments(IReadOnlyList<object?> positional, IReadOnlyDictionary<string, object?> named)
{
    public IReadOnlyList<object?> Positional { get; } = positional;
    public IReadOnlyDictionary<string, object?> Named { get; } = named;

    public object? Get(int index, string name, object? fallback = null) =>
        index < Positional.Count ? Positional[index] : Named.TryGetValue(name, out var value) ? value : fallback;

    public bool Has(int index, string name) => index < Positional.Count || Named.ContainsKey(name);
}
