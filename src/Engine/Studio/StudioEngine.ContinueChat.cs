using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;

namespace WebUI.Engine.Studio;

/// <summary>The chat's Continue: lengthen the last assistant reply instead of starting a new turn.</summary>
public sealed partial class StudioEngine
{
    /// <summary>
    /// Streams more of the last message, which must be the assistant's. The prompt is exactly what produced that reply
    /// (the earlier turns plus the generation prompt) followed by the reply so far, so the model picks up mid-sentence.
    /// </summary>
    public IAsyncEnumerable<GenerationChunk> ContinueChatAsync(IReadOnlyList<ChatMessage> messages, string templateName, GenerationOptions options,
        IReadOnlyList<AdapterWeight>? adapters = null, CancellationToken cancellationToken = default)
    {
        if (messages is not [.., { Role: "assistant" } last])
            throw new ArgumentException("there is no assistant reply to continue: the last message must be the assistant's");
        var template = Template(templateName);
        return Stream(() => Tokenize(template.Render([.. messages.Take(messages.Count - 1)], addGenerationPrompt: true, cancellationToken) + last.Content),
            WithStops(options, template), adapters, cancellationToken);
    }
}
