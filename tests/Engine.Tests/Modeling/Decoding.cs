using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Tests;

/// <summary>Generation through the engine's own scheduler, as the app runs it, for tests that compare outputs.</summary>
internal static class Decoding
{
    /// <param name="adapterFolders">Adapters by name → folder, applied with weight 1.</param>
    public static async Task<(string Text, List<int> Tokens, FinishReason? Finish)> Generate(TorchWorker worker, LoadedModel model, string prompt,
        GenerationOptions options, IReadOnlyDictionary<string, string>? adapterFolders = null)
    {
        var text = "";
        var tokens = new List<int>();
        FinishReason? finish = null;
        using var adapters = new AdapterCache(name => adapterFolders?[name] ?? name, capacity: 4);
        await using var scheduler = new GenerationScheduler(worker, model, adapters, new SchedulerLimits());
        var request = new GenerationRequest(model.Tokenizer.Encode(prompt), options,
            adapterFolders?.Keys.Select(name => new AdapterWeight(name, 1)).ToList() ?? []);
        await foreach (var chunk in scheduler.GenerateAsync(request))
        {
            text += chunk.Text;
            if (chunk.TokenId is { } id) tokens.Add(id);
            finish ??= chunk.FinishReason;
        }
        return (text, tokens, finish);
    }
}
