using WebUI.Engine.Loading;

namespace WebUI.Engine.Generation;

/// <summary>
/// A conversation format: a Jinja chat template as models ship it (rendered like Hugging Face's apply_chat_template,
/// with trim_blocks and lstrip_blocks) bound to the BOS and EOS token text it may print. Renders prompts for chat,
/// splits conversations into trainable and context text for fine-tuning, and knows where an assistant turn ends.
/// </summary>
public sealed class ChatTemplate
{
    /// <summary>
    /// How tokenizers spell their BOS and EOS tokens. <see cref="ITextTokenizer.Decode"/> skips special tokens, so
    /// <see cref="ForTokenizer"/> recognises a special id by which of these encodes to exactly it.
    /// </summary>
    private static readonly string[] CommonSpecialTokens =
    [
        "<s>", "</s>", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|endoftext|>", "<|im_start|>",
        "<|im_end|>", "<|startoftext|>", "<bos>", "<eos>", "<|end|>", "<end_of_turn>", "<|end▁of▁sentence|>",
        "<|begin▁of▁sentence|>",
    ];

    private readonly string _source;
    private readonly IReadOnlyList<JinjaNode> _body;
    private readonly string? _bosToken;
    private readonly string? _eosToken;
    private readonly TemplateLimits _limits;
    private readonly Lazy<IReadOnlyList<string>> _stopStrings;

    private ChatTemplate(string name, string source, IReadOnlyList<JinjaNode> body, string? bosToken, string? eosToken, TemplateLimits limits)
    {
        _limits = limits;
        Name = name;
        _source = source;
        _body = body;
        _bosToken = bosToken;
        _eosToken = eosToken;
        _stopStrings = new(() => ChatStopStrings.Derive(this, eosToken));
    }

    /// <summary>What the UI shows, e.g. "ChatML" or "Model (SmolLM2-135M-Instruct)".</summary>
    public string Name { get; }

    /// <summary>The EOS text the template is given as eos_token, or null.</summary>
    public string? EosToken => _eosToken;

    /// <summary>"None (plain text)": the contents joined by blank lines, no role names; the generation prompt adds nothing.</summary>
    public static ChatTemplate PlainText { get; } = FromJinja(BuiltInChatTemplates.PlainTextName, BuiltInChatTemplates.PlainTextSource, null, null);

    /// <summary><see cref="PlainText"/> first, then ChatML, Llama-2, Llama-3, Mistral, Zephyr, Alpaca and Vicuna.</summary>
    public static IReadOnlyList<ChatTemplate> BuiltIn { get; } =
        [PlainText, .. BuiltInChatTemplates.Formats.Select(f => FromJinja(f.Name, f.Source, f.BosToken, f.EosToken))];

    /// <summary>Parses <paramref name="source"/>; a syntax error throws <see cref="TemplateException"/> naming the template, line and column.</summary>
    /// <param name="bosToken">Text of the BOS token (the template's bos_token); null renders as empty.</param>
    /// <param name="eosToken">Text of the EOS token (eos_token); null renders as empty.</param>
    /// <param name="limits">What parsing and each render may cost; null for <see cref="TemplateLimits.Default"/>.</param>
    public static ChatTemplate FromJinja(string name, string source, string? bosToken, string? eosToken, TemplateLimits? limits = null)
    {
        limits = (limits ?? TemplateLimits.Default).Validate();
        return new(name, source, JinjaParser.Parse(name, source, limits), bosToken, eosToken, limits);
    }

    /// <summary>The tokenizer's own template (tokenizer_config.json's chat_template), or null when it has none.</summary>
    public static ChatTemplate? ForTokenizer(ITextTokenizer tokenizer, string name) =>
        tokenizer.ChatTemplate is { } source
            ? FromJinja(name, source, TokenText(tokenizer, tokenizer.BosId), TokenText(tokenizer, tokenizer.EosIds.Count > 0 ? tokenizer.EosIds[0] : null))
            : null;

    /// <summary>This format with another model's BOS and EOS text, e.g. Alpaca for a model whose EOS is &lt;|endoftext|&gt;.</summary>
    public ChatTemplate WithSpecialTokens(string? bosToken, string? eosToken) => new(Name, _source, _body, bosToken, eosToken, _limits);

    /// <summary>
    /// The conversation as the model reads it; with <paramref name="addGenerationPrompt"/>, followed by the start of
    /// an assistant turn. A render that passes the template's <see cref="TemplateLimits"/> throws <see cref="TemplateException"/>.
    /// </summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, CancellationToken cancel = default)
    {
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["tools"] = null,
            // Empty rather than undefined when unknown, so that "text + eos_token" still renders.
            ["bos_token"] = _bosToken ?? "",
            ["eos_token"] = _eosToken ?? "",
        };
        return JinjaRenderer.Render(Name, _body, variables, _limits, cancel);
    }

    /// <summary>
    /// The text that ends an assistant turn (e.g. "&lt;|im_end|&gt;", "&lt;|eot_id|&gt;", "&lt;/s&gt;"), the EOS text, and the
    /// start of the next user turn (e.g. "\n### Instruction:"): stop strings for chat. Found by rendering a sample
    /// conversation; see <see cref="ChatStopStrings"/>.
    /// </summary>
    public IReadOnlyList<string> StopStrings => _stopStrings.Value;

    /// <summary>
    /// <see cref="Render"/>(messages, false) cut into segments whose texts concatenate to exactly that render.
    /// Trainable segments are each assistant message's content as the template prints it, plus the end-of-turn text
    /// the template puts right after it; everything else (system and user turns, role headers, BOS) is not. See
    /// <see cref="ChatSegmenter"/> for the rule. Throws <see cref="TemplateException"/> when the template rejects
    /// the conversation or rewrites assistant text beyond trimming it.
    /// </summary>
    public IReadOnlyList<TemplateSegment> Segments(IReadOnlyList<ChatMessage> messages) => ChatSegmenter.Split(this, messages);

    public override string ToString() => Name;

    private static string? TokenText(ITextTokenizer tokenizer, int? id)
    {
        if (id is not int token) return null;
        string decoded = tokenizer.Decode([token]);
        if (decoded.Length > 0) return decoded;
        return CommonSpecialTokens.FirstOrDefault(text => tokenizer.Encode(text, addSpecialTokens: false) is [var only] && only == token);
    }
}
