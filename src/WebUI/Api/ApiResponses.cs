using System.Text;
using WebUI.Engine.Generation;

namespace WebUI.Api;

// OpenAI's response shapes, written snake_case with nulls left out (see OpenAiApi.Json).
public sealed record ModelList(IReadOnlyList<ModelCard> Data, string Object = "list");
public sealed record ModelCard(string Id, long Created, string OwnedBy = "webui", string Object = "model");
public sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens);

public sealed record Completion(string Id, string Object, long Created, string Model, IReadOnlyList<CompletionChoice> Choices, Usage? Usage = null);
public sealed record CompletionChoice(int Index, string Text, LegacyLogprobs? Logprobs, string? FinishReason);
public sealed record LegacyLogprobs(List<string> Tokens, List<float> TokenLogprobs, List<Dictionary<string, float>> TopLogprobs, List<int> TextOffset);

public sealed record ChatCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChoice> Choices, Usage? Usage = null);
public sealed record ChatChoice(int Index, ChatDelta? Message, ChatDelta? Delta, ChatLogprobs? Logprobs, string? FinishReason);
public sealed record ChatDelta(string? Role, string? Content);
public sealed record ChatLogprobs(List<ChatTokenLogprob> Content);
public sealed record ChatTokenLogprob(string Token, float Logprob, int[] Bytes, IReadOnlyList<ChatTopLogprob> TopLogprobs);
public sealed record ChatTopLogprob(string Token, float Logprob, int[] Bytes);

/// <summary>Log-probabilities gathered from chunks, in either shape.</summary>
public sealed class LogprobCollector
{
    private readonly List<TokenLogprob> tokens = [];

    public void Add(GenerationChunk chunk)
    {
        if (chunk.Logprob is { } lp) tokens.Add(lp);
    }

    public bool Any => tokens.Count > 0;

    public ChatLogprobs Chat() => new([.. tokens.Select(t => new ChatTokenLogprob(t.Token, t.Logprob, Bytes(t.Token),
        [.. t.Top.Select(a => new ChatTopLogprob(a.Token, a.Logprob, Bytes(a.Token)))]))]);

    public LegacyLogprobs Legacy(int startOffset)
    {
        var offsets = new List<int>();
        int offset = startOffset;
        foreach (var t in tokens) { offsets.Add(offset); offset += t.Token.Length; }
        return new([.. tokens.Select(t => t.Token)], [.. tokens.Select(t => t.Logprob)],
            [.. tokens.Select(t => t.Top.GroupBy(a => a.Token).ToDictionary(g => g.Key, g => g.First().Logprob))], offsets);
    }

    public void Clear() => tokens.Clear();

    private static int[] Bytes(string token) => [.. Encoding.UTF8.GetBytes(token).Select(b => (int)b)];
}
