namespace WebUI.Engine.Generation;

/// <summary>
/// Cuts a rendered conversation into trainable and context segments without knowing the template's format.
/// The rule:
/// <list type="number">
/// <item>Render the conversation with each assistant content replaced by a unique marker. The text between markers
/// is the template's own text plus the other messages, exactly as in the real render.</item>
/// <item>The end-of-turn text of an assistant message is what the template prints after its content when the
/// conversation is rendered only up to that message (the next message is not there yet), kept as far as it also
/// follows the content in the whole conversation (cut back to a whole marker where the two part in the middle of
/// one). So "&lt;|im_end|&gt;\n" in ChatML, " &lt;/s&gt;" in Llama-2; nothing for a template that closes a turn only once
/// another message follows.</item>
/// <item>Walk the real render: the template text must match, and each assistant content must appear as written or
/// trimmed (templates often trim it). Content plus end-of-turn text is trainable, the rest is not.</item>
/// </list>
/// </summary>
internal static class ChatSegmenter
{
    public static IReadOnlyList<TemplateSegment> Split(ChatTemplate template, IReadOnlyList<ChatMessage> messages)
    {
        string rendered = template.Render(messages, addGenerationPrompt: false);
        var assistants = Enumerable.Range(0, messages.Count).Where(i => messages[i].Role == "assistant").ToList();
        var marked = WithMarkers(messages, assistants);
        var pieces = PiecesBetweenMarkers(template, template.Render(marked, addGenerationPrompt: false), assistants.Count);

        var segments = new List<TemplateSegment>();
        void Add(string text, bool trainable)
        {
            if (text.Length == 0) return;
            if (segments.Count > 0 && segments[^1].Trainable == trainable) segments[^1] = new(segments[^1].Text + text, trainable);
            else segments.Add(new(text, trainable));
        }

        if (!rendered.StartsWith(pieces[0], StringComparison.Ordinal)) throw Rewritten(template);
        Add(pieces[0], false);
        int pos = pieces[0].Length;
        for (int k = 0; k < assistants.Count; k++)
        {
            string after = pieces[k + 1];
            bool last = k == assistants.Count - 1;
            string content = ContentAsRendered(rendered, pos, messages[assistants[k]].Content, after, last) ?? throw Rewritten(template);
            string endOfTurn = EndOfTurn(template, marked, assistants[k], Marker(k), after);
            Add(content + endOfTurn, true);
            Add(after[endOfTurn.Length..], false);
            pos += content.Length + after.Length;
        }
        return segments;
    }

    /// <summary>A marker no real message contains and no trimming or case change alters.</summary>
    public static string Marker(int k) => $"\uE000{k}\uE001";

    /// <summary>The messages with the contents of those at <paramref name="replaced"/> (in order) replaced by markers 0, 1, ...</summary>
    public static List<ChatMessage> WithMarkers(IReadOnlyList<ChatMessage> messages, IReadOnlyList<int> replaced)
    {
        var marked = messages.ToList();
        for (int k = 0; k < replaced.Count; k++) marked[replaced[k]] = marked[replaced[k]] with { Content = Marker(k) };
        return marked;
    }

    /// <summary>The render split at markers 0..count-1, which must each appear once and in order.</summary>
    public static List<string> PiecesBetweenMarkers(ChatTemplate template, string markedRender, int count)
    {
        var pieces = new List<string>();
        int from = 0;
        for (int k = 0; k < count; k++)
        {
            string marker = Marker(k);
            int at = markedRender.IndexOf(marker, from, StringComparison.Ordinal);
            if (at < 0 || markedRender.IndexOf(marker, at + marker.Length, StringComparison.Ordinal) >= 0)
                throw TemplateException.Render(template.Name, $"cannot find where assistant message {k + 1} is rendered (the template drops, repeats or reorders it)");
            pieces.Add(markedRender[from..at]);
            from = at + marker.Length;
        }
        pieces.Add(markedRender[from..]);
        return pieces;
    }

    /// <summary>
    /// Text after the message at <paramref name="index"/> (whose content is <paramref name="marker"/>) when the
    /// conversation ends with it, as far as it is also the start of <paramref name="following"/>.
    /// </summary>
    public static string EndOfTurn(ChatTemplate template, IReadOnlyList<ChatMessage> marked, int index, string marker, string following)
    {
        string prefix;
        try
        {
            prefix = template.Render(marked.Take(index + 1).ToList(), addGenerationPrompt: false);
        }
        catch (TemplateException)
        {
            return ""; // the template rejects a conversation that ends here, so it shows no end-of-turn text of its own
        }
        int at = prefix.LastIndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return "";
        string tail = prefix[(at + marker.Length)..];
        int common = 0;
        while (common < tail.Length && common < following.Length && tail[common] == following[common]) common++;
        // Where the two part mid-marker ("<|end|>\n<EOS>" against "<|end|>\n<|user|>"), keep only whole markers.
        if (common < tail.Length && common < following.Length)
            while (common > 0 && !EndsMarker(following[common - 1])) common--;
        return following[..common];
    }

    private static bool EndsMarker(char c) => char.IsWhiteSpace(c) || c is '>' or ']' or '}' or ')';

    /// <summary>The content as written or trimmed, whichever the render shows at <paramref name="pos"/> followed by <paramref name="after"/>.</summary>
    private static string? ContentAsRendered(string rendered, int pos, string content, string after, bool last)
    {
        string[] shapes = [content, content.Trim(), content.TrimStart(), content.TrimEnd()];
        return shapes.FirstOrDefault(shape =>
        {
            var rest = rendered.AsSpan(pos);
            return rest.StartsWith(shape) && rest[shape.Length..].StartsWith(after) && (!last || rest.Length == shape.Length + after.Length);
        });
    }

    private static TemplateException Rewritten(ChatTemplate template) => TemplateException.Render(template.Name,
        "cannot split the conversation into segments: the template changes assistant text other than trimming it, or prints text that depends on it");
}
