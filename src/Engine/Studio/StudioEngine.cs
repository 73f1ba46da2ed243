using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Studio;

/// <summary>
/// The in-process engine the app talks to: one loaded base model, its adapters, chat generation and training.
/// Torch work runs on the engine's own threads; callers get records and async streams, never tensors. All
/// generation goes through one <see cref="GenerationScheduler"/> per loaded model, each request with its own adapters.
/// </summary>
public sealed partial class StudioEngine : IDisposable
{
    private readonly TorchWorker inference = new("inference");
    private readonly SemaphoreSlim modelGate = new(1, 1);
    private LoadedModel? loaded;
    private GenerationScheduler? scheduler;
    private AdapterCache? adapterCache;   // the inference worker's
    private ChatTemplate? ownTemplate;    // the loaded model's, when it has a usable one
    private readonly ILogger logger;

    public StudioEngine(StudioPaths paths, ServingLimits? limits = null, ILogger<StudioEngine>? logger = null)
    {
        Paths = paths;
        Limits = (limits ?? new ServingLimits()).Validate();
        this.logger = logger ?? NullLogger<StudioEngine>.Instance;
        paths.EnsureFolders();
    }

    public StudioPaths Paths { get; }
    public ServingLimits Limits { get; }
    public LoadedModelInfo? Model { get; private set; }
    public bool IsLoading { get; private set; }

    /// <summary>Raised (on any thread) when the loaded model, its adapters or the busy state change.</summary>
    public event Action? Changed;

    /// <summary>Whether decode steps read the loaded model's int8 (Q8_0) copy of its weights.</summary>
    public bool Int8Decoding => loaded?.Model.Int8Inference ?? false;

    /// <summary>
    /// Turns int8 decoding on (quantizing every projection and the head, kept beside the fp32 weights) or off, for
    /// every request from then on. Refused while a full fine-tune owns the weights.
    /// </summary>
    public async Task SetInt8DecodingAsync(bool on, CancellationToken cancellationToken = default)
    {
        await modelGate.WaitAsync(cancellationToken);
        try
        {
            var model = loaded ?? throw NoModel();
            ThrowIfTrainingOwnsModel();
            await inference.Run(() => model.Model.UseInt8Inference(on), cancellationToken);
        }
        finally
        {
            modelGate.Release();
            RaiseChanged();
        }
    }

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
            RaiseChanged();
            var next = await inference.Run(() => ModelLoader.Load(path), cancellationToken);
            await ReplaceModelAsync(next);
            return Model!;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("loading the model {Path} failed: {Reason}", path, e.Message);
            throw;
        }
        finally
        {
            IsLoading = false;
            modelGate.Release();
            RaiseChanged();
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
            RaiseChanged();
        }
    }

    private async Task ReplaceModelAsync(LoadedModel? next)
    {
        // Replies in flight end (cancelled) before the weights they read go away; a compared fine-tune goes with its base.
        if (scheduler is { } running) await running.DisposeAsync();
        await DropCompanionAsync();
        var previous = loaded;
        await inference.Run(() =>
        {
            adapterCache?.Dispose();
            previous?.Dispose();
            adapterCache = next is null ? null : new AdapterCache(name => StudioPaths.Inside(Paths.Loras, name), Limits.MaxLoras);
        });
        (ownTemplate, var templateWarning) = next is null ? (null, null) : UsableOwnTemplate(next);
        if (templateWarning is not null) logger.LogWarning("{Model}: {Warning}", next!.Source.Name, templateWarning);
        loaded = next;
        scheduler = next is null ? null : new GenerationScheduler(inference, next, adapterCache!, Limits.Scheduler);
        Model = next is null ? null : Describe(next, ownTemplate, templateWarning);
        DefaultAdapters = [];
    }

    // The model's own template, parsed and test-rendered once at load: one that fails (or passes a limit) is set
    // aside with a warning, and the model still loads with the built-in templates.
    private static (ChatTemplate? Template, string? Warning) UsableOwnTemplate(LoadedModel m)
    {
        try
        {
            var own = ChatTemplate.ForTokenizer(m.Tokenizer, $"Model ({m.Source.Name})");
            own?.Render([new("user", "Hello!"), new("assistant", "Hi. How can I help?"), new("user", "Tell me a story.")], addGenerationPrompt: true);
            return (own, null);
        }
        catch (TemplateException e)
        {
            return (null, $"the model's chat template cannot be used: {e.Message}; chat falls back to {ChatTemplate.PlainText.Name}");
        }
    }

    private static LoadedModelInfo Describe(LoadedModel m, ChatTemplate? own, string? templateWarning) => new(
        m.Source.Name, m.Source.Path, m.Config.HfArchitecture, m.Model.ParameterCount(),
        m.Device.Device.type.ToString().ToLowerInvariant(), m.Device.DType.ToString().ToLowerInvariant(),
        m.Model.parameters().Sum(p => p.numel() * p.element_size()), m.Config.MaxPositions,
        own?.Name, templateWarning);

    /// <summary>The templates a chat can use: the model's own first (when it has a usable one), then the built-in ones.</summary>
    public IReadOnlyList<ChatTemplate> ChatTemplates() => ownTemplate is { } own ? [own, .. ChatTemplate.BuiltIn] : ChatTemplate.BuiltIn;

    /// <summary>The loaded model's token ids for <paramref name="text"/> (with BOS when the tokenizer adds it).</summary>
    public IReadOnlyList<int> Tokenize(string text) => (loaded ?? throw NoModel()).Tokenizer.Encode(text);

    /// <summary>The scheduler's load and totals for the loaded model; null when none is loaded.</summary>
    public ServingStats? ServingStats => scheduler?.Stats;

    /// <summary>Queues work behind whatever the inference worker has queued; tests use it to hold the worker between two steps.</summary>
    internal void PostToInferenceWorker(Action work) => inference.Post(work);

    /// <summary>
    /// Queues a request on the scheduler; throws before anything streams when it cannot run (no model, bad options,
    /// a prompt longer than the context, an adapter missing or not fitting, busy).
    /// </summary>
    public Task<GenerationStream> StartGenerationAsync(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ThrowIfTrainingOwnsModel();
        var running = scheduler ?? throw NoModel();
        return running.StartAsync(request, cancellationToken);
    }

    /// <summary>Streams a completion of plain text, with these adapters (null: the default set from the Model tab).</summary>
    public IAsyncEnumerable<GenerationChunk> GenerateAsync(string prompt, GenerationOptions options, IReadOnlyList<AdapterWeight>? adapters = null,
        CancellationToken cancellationToken = default) =>
        Stream(() => Tokenize(prompt), options, adapters, cancellationToken);

    /// <summary>Streams the assistant's next turn, rendered with the template of that name; its end-of-turn markers stop generation.</summary>
    public IAsyncEnumerable<GenerationChunk> ChatAsync(IReadOnlyList<ChatMessage> messages, string templateName, GenerationOptions options,
        IReadOnlyList<AdapterWeight>? adapters = null, CancellationToken cancellationToken = default)
    {
        var template = Template(templateName);
        return Stream(() => Tokenize(template.Render(messages, addGenerationPrompt: true, cancellationToken)), WithStops(options, template), adapters, cancellationToken);
    }

    /// <summary>The chat template of that name, or an <see cref="ArgumentException"/> naming it.</summary>
    public ChatTemplate Template(string templateName) =>
        ChatTemplates().FirstOrDefault(t => t.Name == templateName) ?? throw new ArgumentException($"unknown chat template '{templateName}'");

    private static GenerationOptions WithStops(GenerationOptions options, ChatTemplate template) =>
        options with { StopStrings = [.. options.StopStrings.Concat(template.StopStrings).Distinct()] };

    private async IAsyncEnumerable<GenerationChunk> Stream(Func<IReadOnlyList<int>> prompt, GenerationOptions options, IReadOnlyList<AdapterWeight>? adapters,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new GenerationRequest(prompt(), options, adapters ?? DefaultAdapters);
        await using var stream = await StartGenerationAsync(request, cancellationToken);
        await foreach (var chunk in stream.ReadAllAsync(cancellationToken)) yield return chunk;
    }

    // Subscribers (UI circuits, the hub) run on engine threads: one that throws is logged and never fails a load or a run.
    private void Raise<T>(T? handlers, Action<T> invoke) where T : Delegate
    {
        foreach (var handler in handlers?.GetInvocationList().Cast<T>() ?? [])
        {
            try { invoke(handler); }
            catch (Exception e) { logger.LogError(e, "a subscriber to the engine's events ({Subscriber}) failed", handler.Method.DeclaringType?.FullName); }
        }
    }

    private void RaiseChanged() => Raise(Changed, handler => handler());

    private static InvalidOperationException NoModel() => new("no model is loaded: load one on the Model tab first");

    public void Dispose()
    {
        DisposeTraining();
        scheduler?.DisposeAsync().AsTask().Wait();
        DropCompanionAsync().Wait();
        inference.Run(() => { adapterCache?.Dispose(); loaded?.Dispose(); }).Wait();
        inference.Dispose();
        if (insightWorker.IsValueCreated) insightWorker.Value.Dispose();
        modelGate.Dispose();
    }
}
