using System.Text;
using WebUI.Engine.Generation;

namespace WebUI.Engine.Loading;

/// <summary>
/// An Ollama Modelfile (https://github.com/ollama/ollama/blob/main/docs/modelfile.md) for an exported GGUF: FROM the
/// model, ADAPTER for a GGUF LoRA, TEMPLATE from the chat template, and a PARAMETER stop per stop string of it.
/// </summary>
public static class OllamaModelfile
{
    /// <param name="from">What FROM names: a GGUF path relative to the Modelfile ("./x.gguf", resolved from its folder) or an Ollama model.</param>
    /// <param name="adapterFile">A GGUF LoRA beside the Modelfile, or null.</param>
    public static void Write(string path, string from, string? adapterFile, ITextTokenizer tokenizer)
    {
        var text = new StringBuilder();
        text.Append("# Written by WebUI. Run it with: ollama create NAME -f ").AppendLine(Path.GetFileName(path));
        text.Append("FROM ").AppendLine(from);
        if (adapterFile is not null) text.Append("ADAPTER ./").AppendLine(adapterFile);
        var chat = ChatTemplate.ForTokenizer(tokenizer, Path.GetFileNameWithoutExtension(from));
        if (chat is not null && GoTemplate(chat) is { } template) text.Append("TEMPLATE \"\"\"").Append(template).AppendLine("\"\"\"");
        else text.AppendLine(chat is null ? "# No TEMPLATE: the model has no chat template, so prompts go in as they are."
            : "# No TEMPLATE: the chat template could not be rendered as a Go template; Ollama reads it from the GGUF metadata.");
        foreach (var stop in chat?.StopStrings ?? []) text.Append("PARAMETER stop ").AppendLine(Quote(stop));
        AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>
    /// The chat template as an Ollama Go template, read off renders of sample conversations: what comes before a
    /// system or first user message, what follows each user turn (up to the assistant's text, so the last one is the
    /// generation prompt) and what follows each assistant turn (up to the next user's text). BOS is left out (rendered
    /// empty), since llama.cpp adds it. Null when the template does not render such conversations or its text holds "{{".
    /// </summary>
    public static string? GoTemplate(ChatTemplate chat)
    {
        chat = chat.WithSpecialTokens("", chat.EosToken);
        try
        {
            var conversation = new List<ChatMessage> { new("user", "u"), new("assistant", "a"), new("user", "v") };
            var turns = ChatSegmenter.PiecesBetweenMarkers(chat, chat.Render(ChatSegmenter.WithMarkers(conversation, [0, 1, 2]), false), 3);
            var prompt = ChatSegmenter.PiecesBetweenMarkers(chat, chat.Render(ChatSegmenter.WithMarkers(conversation[..1], [0]), true), 1);
            var (userFirst, afterUser, afterAssistant) = (turns[0], prompt[1], turns[2]);
            string? systemFirst = null, afterSystem = null;
            try
            {
                var withSystem = new List<ChatMessage> { new("system", "s"), new("user", "u") };
                var pieces = ChatSegmenter.PiecesBetweenMarkers(chat, chat.Render(ChatSegmenter.WithMarkers(withSystem, [0, 1]), false), 2);
                (systemFirst, afterSystem) = (pieces[0], pieces[1]);
            }
            catch (TemplateException) { } // no system role: system messages are left out
            if (new[] { userFirst, afterUser, afterAssistant, systemFirst, afterSystem }.Any(p => p?.Contains("{{") == true)) return null;

            // No "{{-" after literal text: it would trim the template's own line breaks.
            var go = new StringBuilder("{{- range $i, $m := .Messages }}{{ if");
            if (systemFirst is not null) go.Append(" eq $m.Role \"system\" }}").Append(systemFirst).Append("{{ $m.Content }}").Append(afterSystem).Append("{{ else if");
            go.Append(" eq $m.Role \"user\" }}{{ if eq $i 0 }}").Append(userFirst).Append("{{ end }}{{ $m.Content }}").Append(afterUser)
              .Append("{{ else if eq $m.Role \"assistant\" }}{{ $m.Content }}").Append(afterAssistant).Append("{{ end }}{{ end }}");
            return go.ToString();
        }
        catch (TemplateException)
        {
            return null;
        }
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";
}
