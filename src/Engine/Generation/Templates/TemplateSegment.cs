namespace WebUI.Engine.Generation;

/// <summary>
/// A piece of a rendered conversation. <see cref="Trainable"/> marks the text a chat fine-tune computes its loss on:
/// an assistant reply and the end-of-turn text the template puts right after it.
/// </summary>
public sealed record TemplateSegment(string Text, bool Trainable);
