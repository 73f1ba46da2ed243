using System.Runtime.CompilerServices;
using WebUI.Engine.Generation;

namespace WebUI.Engine.Studio;

/// <summary>The chat's Continue: lengthen the last assistant reply instead of starting a new turn.</summary>
public sealed partial class StudioEngine
{
    /// <summary>
    /// Streams more of the last message, which must be the assistant's. The prompt is exactly what produced that reply
    /// (the earlier turns plus the generation prompt) followed by the reply so far, so the model picks up mid-sentence.
    /// </summary>
    public async IAsyncEnumerable<GenerationChunk> ContinueChatAsync(IReadOnlyList<ChatMessage> messages, string templateName, GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (messages is not [.., { Role: "assistant" } last])
            throw new ArgumentException("there is no assistant reply to continue: the last message must be the assistant's");
        var template = ChatTemplates().FirstOrDefault(t => t.Name == templateName)
            ?? throw new ArgumentException($"unknown chat template '{templateName}'");
        var prompt = template.Render([.. messages.Take(messages.Count - 1)], addGenerationPrompt: true) + last.Content;
        var stops = options.StopStrings.Concat(template.StopStrings).Distinct().ToList();
        await foreach (var chunk in Generator().GenerateAsync(prompt, options with { StopStrings = stops }, cancellationToken))
            yield return chunk;
    }
}
