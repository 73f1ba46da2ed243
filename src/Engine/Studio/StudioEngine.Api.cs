using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;

namespace WebUI.Engine.Studio;

/// <summary>What the OpenAI-compatible API and <see cref="StudioChatClient"/> share: model ids and rendered chats.</summary>
public sealed partial class StudioEngine
{
    /// <summary>
    /// The adapters a model id stands for (see <see cref="ModelId"/>); the base model's id gives the default set.
    /// ArgumentException for a malformed id, <see cref="ModelNotFoundException"/> for an adapter not in loras/.
    /// </summary>
    public IReadOnlyList<AdapterWeight> AdaptersFor(string? modelId)
    {
        var model = Model ?? throw NoModel();
        if (modelId is null) return DefaultAdapters;
        var adapters = ModelId.Parse(modelId, model.Name, name => Directory.Exists(Path.Combine(Paths.Loras, name)));
        if (adapters is null) return DefaultAdapters;
        foreach (var a in adapters)
            if (!Directory.Exists(Path.Combine(Paths.Loras, a.Name)))
                throw new ModelNotFoundException($"the model '{modelId}' does not exist: no base model or adapter in loras/ is called '{a.Name}'");
        return adapters;
    }

    /// <summary>The reply length a chat gets when the caller names none: up to 512 tokens, never past the context.</summary>
    public const int DefaultChatMaxTokens = 512;

    public int ChatMaxTokens(int promptTokens) => Math.Max(1, Math.Min(DefaultChatMaxTokens, (Model?.ContextLength ?? DefaultChatMaxTokens) - promptTokens));

    /// <summary>A chat rendered with the template of that name (null: the first of <see cref="ChatTemplates"/>) and its stop strings added.</summary>
    public (IReadOnlyList<int> PromptIds, GenerationOptions Options) RenderChat(IReadOnlyList<ChatMessage> messages, string? templateName, GenerationOptions options)
    {
        var template = templateName is null ? ChatTemplates()[0] : Template(templateName);
        return (Tokenize(template.Render(messages, addGenerationPrompt: true)), WithStops(options, template));
    }
}

/// <summary>A model id that names neither the loaded model nor an adapter in loras/.</summary>
public sealed class ModelNotFoundException(string message) : Exception(message);
