using System.Runtime.CompilerServices;
using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Studio;

/// <summary>
/// Compare chat with fully fine-tuned models: one such model at a time is held beside the loaded one, with its own
/// scheduler on the same inference worker, so its reply streams step by step alongside the loaded model's batch.
/// </summary>
public sealed partial class StudioEngine
{
    private LoadedModel? companion;
    private GenerationScheduler? companionScheduler;
    private AdapterCache? companionAdapters;

    /// <summary>Full fine-tunes of the loaded model (runs with method full on it as base) that compare chat can set beside it.</summary>
    public IReadOnlyList<string> ComparableModels() => Model is not { } loadedModel ? []
        : [.. ListRuns().Where(r => r.Method == "full" && r.BaseModel == loadedModel.Name && r.Status != "stopped" && r.Name != loadedModel.Name).Select(r => r.Name)];

    /// <summary>
    /// The next assistant turn from the model models/<paramref name="modelName"/>, rendered with the loaded model's
    /// template of that name (a fine-tune shares its base's), loaded the first time it is asked for.
    /// </summary>
    public async IAsyncEnumerable<GenerationChunk> CompareModelChatAsync(string modelName, IReadOnlyList<ChatMessage> messages, string templateName,
        GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var template = Template(templateName);
        var (model, running) = await CompanionAsync(modelName, cancellationToken);
        var request = new GenerationRequest(model.Tokenizer.Encode(template.Render(messages, addGenerationPrompt: true, cancellationToken)), WithStops(options, template), []);
        await using var stream = await running.StartAsync(request, cancellationToken);
        await foreach (var chunk in stream.ReadAllAsync(cancellationToken)) yield return chunk;
    }

    private async Task<(LoadedModel, GenerationScheduler)> CompanionAsync(string name, CancellationToken cancellationToken)
    {
        var path = StudioPaths.Inside(Paths.Models, name);
        await modelGate.WaitAsync(cancellationToken);
        try
        {
            var main = loaded ?? throw NoModel();
            ThrowIfTrainingOwnsModel();
            if (companion is { } held && companionScheduler is { } heldScheduler && held.Source.Path == Path.GetFullPath(path)) return (held, heldScheduler);
            await DropCompanionAsync();
            var model = await inference.Run(() => ModelLoader.Load(path, main.Device), cancellationToken);
            if (model.Tokenizer.VocabSize != main.Tokenizer.VocabSize)
            {
                await inference.Run(model.Dispose);
                throw new ArgumentException($"'{name}' has a vocabulary of {model.Tokenizer.VocabSize} tokens, the loaded model {main.Tokenizer.VocabSize}: it is not a fine-tune of it");
            }
            companion = model;
            companionAdapters = new AdapterCache(adapter => StudioPaths.Inside(Paths.Loras, adapter), capacity: 1);
            companionScheduler = new GenerationScheduler(inference, model, companionAdapters, Limits.Scheduler);
            return (model, companionScheduler);
        }
        finally
        {
            modelGate.Release();
        }
    }

    // Under the gate: replies in flight end first, then the weights go.
    private async Task DropCompanionAsync()
    {
        if (companionScheduler is { } running) await running.DisposeAsync();
        var (model, adapters) = (companion, companionAdapters);
        (companion, companionScheduler, companionAdapters) = (null, null, null);
        if (model is not null || adapters is not null)
            await inference.Run(() => { adapters?.Dispose(); model?.Dispose(); });
    }
}
