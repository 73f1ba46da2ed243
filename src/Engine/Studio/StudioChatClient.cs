using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using WebUI.Engine.Generation;
using AiMessage = Microsoft.Extensions.AI.ChatMessage;
using StudioMessage = WebUI.Engine.Generation.ChatMessage;

namespace WebUI.Engine.Studio;

/// <summary>
/// Microsoft.Extensions.AI's chat client over the engine's scheduler, in process: the loaded model's first chat
/// template, ChatOptions.ModelId picking adapters as the API's "model" does (<see cref="ModelId"/>), the sampling
/// options, usage and finish reason. Only text content is sent; tool messages are refused.
/// </summary>
public sealed class StudioChatClient(StudioEngine engine) : IChatClient
{
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken)) updates.Add(update);
        return updates.ToChatResponse();
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var modelId = options?.ModelId ?? engine.Model?.Name ?? throw new InvalidOperationException("no model is loaded");
        var adapters = engine.AdaptersFor(modelId);
        var (promptIds, sampling) = engine.RenderChat(Convert(messages, options?.Instructions), null, Sampling(options));
        if (options?.MaxOutputTokens is null) sampling = sampling with { MaxNewTokens = engine.ChatMaxTokens(promptIds.Count) };
        await using var stream = await engine.StartGenerationAsync(new GenerationRequest(promptIds, sampling, adapters), cancellationToken);
        var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        int generated = 0;
        await foreach (var chunk in stream.ReadAllAsync(cancellationToken))
        {
            if (chunk.TokenId is not null) generated++;
            if (chunk.Text.Length == 0 && chunk.FinishReason is null) continue;
            var update = new ChatResponseUpdate(ChatRole.Assistant, chunk.Text) { ResponseId = id, MessageId = id, ModelId = modelId };
            if (chunk.FinishReason is { } reason)
            {
                cancellationToken.ThrowIfCancellationRequested();
                update.FinishReason = reason == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop;
                int completion = chunk.Stats?.GeneratedTokens ?? generated;
                update.Contents.Add(new UsageContent(new UsageDetails
                {
                    InputTokenCount = stream.PromptTokens, OutputTokenCount = completion, TotalTokenCount = stream.PromptTokens + completion,
                }));
            }
            yield return update;
        }
    }

    private static GenerationOptions Sampling(ChatOptions? o)
    {
        var options = new GenerationOptions { Temperature = 1f };
        if (o is null) return options;
        return options with
        {
            Temperature = o.Temperature ?? options.Temperature,
            TopP = o.TopP ?? options.TopP,
            TopK = o.TopK ?? options.TopK,
            MaxNewTokens = o.MaxOutputTokens ?? options.MaxNewTokens,
            Seed = o.Seed,
            StopStrings = o.StopSequences is { } stops ? [.. stops] : [],
            PresencePenalty = o.PresencePenalty ?? 0f,
            FrequencyPenalty = o.FrequencyPenalty ?? 0f,
        };
    }

    private static List<StudioMessage> Convert(IEnumerable<AiMessage> messages, string? instructions)
    {
        var converted = new List<StudioMessage>();
        if (!string.IsNullOrEmpty(instructions)) converted.Add(new StudioMessage("system", instructions));
        foreach (var m in messages)
        {
            if (m.Role != ChatRole.System && m.Role != ChatRole.User && m.Role != ChatRole.Assistant)
                throw new ArgumentException($"role '{m.Role}' is not supported: use system, user or assistant");
            converted.Add(new StudioMessage(m.Role.Value, m.Text));
        }
        if (converted.Count == 0) throw new ArgumentException("there are no messages");
        return converted;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("webui", null, engine.Model?.Name)
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(StudioEngine) ? engine : null;

    public void Dispose() { }
}
