namespace WebUI.Engine.Generation;

/// <summary>
/// One streamed piece of a generation. <paramref name="Text"/> may be empty (a token that completes no character yet,
/// or held back as a possible stop string start). The last chunk carries <paramref name="FinishReason"/> and
/// <paramref name="Stats"/>; its <paramref name="TokenId"/> is null when it only flushes held-back text.
/// <paramref name="Logprob"/> is set for each token when the options asked for log-probabilities.
/// <paramref name="QueuedAhead"/> is set on the chunks sent while the request waits for a free place: how many
/// requests are ahead of it.
/// </summary>
public sealed record GenerationChunk(string Text, int? TokenId, FinishReason? FinishReason, GenerationStats? Stats = null,
    TokenLogprob? Logprob = null, int? QueuedAhead = null);

/// <summary>A token's natural-log probability under the model (before sampling settings), with the most likely alternatives.</summary>
public sealed record TokenLogprob(int TokenId, string Token, float Logprob, IReadOnlyList<TokenAlternative> Top);

public sealed record TokenAlternative(int TokenId, string Token, float Logprob);
