using System.Runtime.CompilerServices;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Studio;

/// <summary>
/// The in-process engine the app talks to: one loaded base model, its adapters, chat generation and training.
/// Torch work runs on the engine's own threads; callers get records and async streams, never tensors.
/// </summary>
public sealed partial class StudioEngine : IDisposable
{
    private readonly TorchWorker inference = new("inference");
    private readonly SemaphoreSlim modelGate = new(1, 1);
    private LoadedModel? loaded;

    public StudioEngine(StudioPaths paths)
    {
        Paths = paths;
        paths.EnsureFolders();
    }

    public StudioPaths Paths { get; }
    public LoadedModelInfo? Model { get; private set; }
    public bool IsLoading { get; private set; }

    /// <summary>Raised (on any thread) when the loaded model, its adapters or the busy state change.</summary>
    public event Action? Changed;

    public IReadOnlyList<ModelEntry> ListModels() => ModelCatalog.List(Paths.Models);

    /// <summary>Loads a model from models/NAME (or a path), replacing the current one.</summary>
    public async Task<LoadedModelInfo> LoadModelAsync(string nameOrPath, CancellationToken cancellationToken = default)
    {
        var path = Directory.Exists(nameOrPath) || File.Exists(nameOrPath) ? Path.GetFullPath(nameOrPath) : StudioPaths.Inside(Paths.Models, nameOrPath);
        await modelGate.WaitAsync(cancellationToken);
        try
        {
            ThrowIfTraining();
            IsLoading = true;
            Changed?.Invoke();
            var next = await inference.Run(() => ModelLoader.Load(path), cancellationToken);
            await ReplaceModelAsync(next);
            return Model!;
        }
        finally
        {
            IsLoading = false;
            modelGate.Release();
            Changed?.Invoke();
        }
    }

    public async Task UnloadModelAsync(CancellationToken cancellationToken = default)
    {
        await modelGate.WaitAsync(cancellationToken);
        try
        {
            ThrowIfTraining();
            await ReplaceModelAsync(null);
        }
        finally
        {
            modelGate.Release();
            Changed?.Invoke();
        }
    }

    private async Task ReplaceModelAsync(LoadedModel? next)
    {
        var previous = loaded;
        loaded = next;
        Model = next is null ? null : Describe(next);
        await inference.Run(() =>
        {
            OnModelReplaced();
            previous?.Dispose();
        });
    }

    private static LoadedModelInfo Describe(LoadedModel m) => new(
        m.Source.Name, m.Source.Path, m.Config.HfArchitecture, m.Model.ParameterCount(),
        m.Device.Device.type.ToString().ToLowerInvariant(), m.Device.DType.ToString().ToLowerInvariant(),
        m.Model.parameters().Sum(p => p.numel() * p.element_size()), m.Config.MaxPositions,
        ChatTemplate.ForTokenizer(m.Tokenizer, "Model")?.Name);

    /// <summary>The templates a chat can use: the model's own first (when it has one), then the built-in ones.</summary>
    public IReadOnlyList<ChatTemplate> ChatTemplates()
    {
        var own = loaded is { } m ? ChatTemplate.ForTokenizer(m.Tokenizer, $"Model ({m.Source.Name})") : null;
        return own is null ? ChatTemplate.BuiltIn : [own, .. ChatTemplate.BuiltIn];
    }

    /// <summary>Streams a completion of plain text.</summary>
    public IAsyncEnumerable<GenerationChunk> GenerateAsync(string prompt, GenerationOptions options, CancellationToken cancellationToken = default) =>
        Generator().GenerateAsync(prompt, options, cancellationToken);

    /// <summary>Streams the assistant's next turn, rendered with the template of that name; its end-of-turn markers stop generation.</summary>
    public async IAsyncEnumerable<GenerationChunk> ChatAsync(IReadOnlyList<ChatMessage> messages, string templateName, GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var template = ChatTemplates().FirstOrDefault(t => t.Name == templateName)
            ?? throw new ArgumentException($"unknown chat template '{templateName}'");
        var prompt = template.Render(messages, addGenerationPrompt: true);
        var stops = options.StopStrings.Concat(template.StopStrings).Distinct().ToList();
        await foreach (var chunk in Generator().GenerateAsync(prompt, options with { StopStrings = stops }, cancellationToken))
            yield return chunk;
    }

    private TextGenerator Generator()
    {
        var model = loaded ?? throw new InvalidOperationException("no model is loaded: load one on the Model tab first");
        ThrowIfTrainingOwnsModel();
        return new TextGenerator(inference, model);
    }

    public void Dispose()
    {
        DisposeTraining();
        inference.Run(() => loaded?.Dispose()).Wait();
        inference.Dispose();
        modelGate.Dispose();
    }
}
