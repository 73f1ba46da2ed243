namespace WebUI.Engine.Adapters;

/// <summary>An adapter from loras/ by folder name, with its weight (1 = as trained).</summary>
public sealed record AdapterWeight(string Name, double Weight);
