using System.Text;
using System.Text.Json;
using WebUI.Engine.Generation;

namespace WebUI.Api;

/// <summary>Turns a generation's chunks into one OpenAI response, or into SSE chunks ending with "data: [DONE]".</summary>
public sealed class ReplyWriter(HttpContext context, string model, bool chat, ApiRequest request, int promptTokens)
{
    private readonly string id = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N");
    private readonly long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private readonly string kind = chat ? "chat.completion" : "text_completion";
    private readonly LogprobCollector logprobs = new();
    private readonly StringBuilder text = new();
    private int generated, textOffset;

    public async Task WriteAsync(IAsyncEnumerable<GenerationChunk> chunks)
    {
        FinishReason? finish = null;
        if (request.Stream) await StartStreamAsync();
        await foreach (var chunk in chunks)
        {
            if (chunk.QueuedAhead is not null) continue;
            if (chunk.TokenId is not null) generated++;
            if (chunk.Stats is { } stats) generated = stats.GeneratedTokens;
            logprobs.Add(chunk);
            if (request.Stream)
            {
                if (chunk.Text.Length > 0 || chunk.Logprob is not null) await SendAsync(Piece(chunk.Text, null));
                textOffset += chunk.Text.Length;
                logprobs.Clear();
            }
            else text.Append(chunk.Text);
            finish = chunk.FinishReason ?? finish;
        }
        if (finish is FinishReason.Cancelled || context.RequestAborted.IsCancellationRequested) return;
        var reason = finish == FinishReason.Length ? "length" : "stop";
        var usage = new Usage(promptTokens, generated, promptTokens + generated);
        if (!request.Stream)
        {
            object whole = chat
                ? new ChatCompletion(id, kind, created, model, [new ChatChoice(0, new ChatDelta("assistant", text.ToString()), null, logprobs.Any ? logprobs.Chat() : null, reason)], usage)
                : new Completion(id, kind, created, model, [new CompletionChoice(0, text.ToString(), logprobs.Any ? logprobs.Legacy(0) : null, reason)], usage);
            await context.Response.WriteAsJsonAsync(whole, whole.GetType(), OpenAiApi.Json);
            return;
        }
        await SendAsync(Piece("", reason));
        if (request.IncludeUsage)
            await SendAsync(chat ? new ChatCompletion(id, kind + ".chunk", created, model, [], usage) : new Completion(id, kind, created, model, [], usage));
        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
    }

    private async Task StartStreamAsync()
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        if (chat) await SendAsync(new ChatCompletion(id, kind + ".chunk", created, model, [new ChatChoice(0, null, new ChatDelta("assistant", ""), null, null)]));
        else await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private object Piece(string piece, string? finishReason) => chat
        ? new ChatCompletion(id, kind + ".chunk", created, model,
            [new ChatChoice(0, null, finishReason is null ? new ChatDelta(null, piece) : new ChatDelta(null, null), logprobs.Any ? logprobs.Chat() : null, finishReason)])
        : new Completion(id, kind, created, model, [new CompletionChoice(0, piece, logprobs.Any ? logprobs.Legacy(textOffset) : null, finishReason)]);

    private async Task SendAsync(object payload)
    {
        var json = JsonSerializer.Serialize(payload, payload.GetType(), OpenAiApi.Json);
        await context.Response.WriteAsync($"data: {json}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }
}
