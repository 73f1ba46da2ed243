namespace WebUI.Engine.Generation;

/// <summary>
/// One streamed piece of a generation. <paramref name="Text"/> may be empty (a token that completes no character yet,
/// or held back as a possible stop string start). The last chunk carries <paramref name="FinishReason"/> and
/// <paramref name="Stats"/>; its <paramref name="TokenId"/> is null when it only flushes held-back text.
/// </summary>
public sealed record GenerationChunk(string Text, int? TokenId, FinishReason? FinishReason, GenerationStats? Stats = null);
