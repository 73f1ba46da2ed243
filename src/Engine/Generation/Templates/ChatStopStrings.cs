namespace WebUI.Engine.Generation;

/// <summary>
/// Finds a template's stop strings by rendering user, assistant, user with markers for contents and reading the
/// text between the assistant's content and the next user's: its end-of-turn part (as <see cref="ChatSegmenter"/>
/// defines it, trimmed: "&lt;|im_end|&gt;", "&lt;/s&gt;"), the EOS text, and the next user turn's header ("USER:"), led by
/// "\n" when a line break comes before it ("\n### Instruction:"), since a model that runs past its turn goes on to
/// write the user's. The header is kept whole: cutting a special token out of it ("&lt;|im_start|&gt;user" to "user")
/// would stop at ordinary words.
/// </summary>
internal static class ChatStopStrings
{
    public static IReadOnlyList<string> Derive(ChatTemplate template, string? eosToken)
    {
        var stops = new List<string>();
        void Add(string? stop)
        {
            if (!string.IsNullOrEmpty(stop) && !stops.Contains(stop)) stops.Add(stop);
        }

        var probe = new List<ChatMessage> { new("user", "a"), new("assistant", "b"), new("user", "c") };
        int[] all = [0, 1, 2];
        var marked = ChatSegmenter.WithMarkers(probe, all);
        string between;
        try
        {
            between = ChatSegmenter.PiecesBetweenMarkers(template, template.Render(marked, addGenerationPrompt: false), all.Length)[2];
        }
        catch (TemplateException)
        {
            Add(eosToken); // a template that cannot render a plain exchange still stops at EOS
            return stops;
        }

        string endOfTurn = ChatSegmenter.EndOfTurn(template, marked, 1, ChatSegmenter.Marker(1), between);
        Add(endOfTurn.Trim());
        Add(eosToken);
        string rest = between[endOfTurn.Length..];
        string header = rest.Trim();
        if (header.Length > 0)
        {
            string leading = endOfTurn + rest[..(rest.Length - rest.TrimStart().Length)];
            Add(leading.TrimEnd(' ', '\t').EndsWith('\n') ? "\n" + header : header);
        }
        return stops;
    }
}
