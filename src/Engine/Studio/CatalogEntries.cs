namespace WebUI.Engine.Studio;

/// <summary>A model folder in models/ as the Model tab lists it; <see cref="Error"/> says why it cannot be loaded.</summary>
public sealed record ModelEntry(string Name, string Path, string Format, string Architecture, long Parameters, long SizeBytes, string? Error);

/// <summary>The model in memory.</summary>
public sealed record LoadedModelInfo(string Name, string Path, string Architecture, long Parameters, string Device, string DType,
    long WeightBytes, int ContextLength, string? ChatTemplateName, string? ChatTemplateWarning = null);

/// <summary>An adapter folder in loras/.</summary>
public sealed record AdapterEntry(string Name, string? BaseModel, int Rank, double Alpha, IReadOnlyList<string> TargetModules,
    long SizeBytes, DateTime Modified, string? Error);
