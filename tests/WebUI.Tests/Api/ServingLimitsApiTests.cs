using System.Net;
using System.Text;
using System.Text.Json;

namespace WebUI.Tests.Api;

/// <summary>The app started with room for one running reply and none waiting.</summary>
public sealed class OneSlotApiServer() : ApiServer(["--max-concurrent", "1", "--max-queue", "0"]);

/// <summary>What a client sees at the serving limits.</summary>
public sealed class ServingLimitsApiTests(OneSlotApiServer server) : IClassFixture<OneSlotApiServer>
{
    private const string LongStream = """{"prompt":"Once upon a time","temperature":0,"max_tokens":400,"ignore_eos":true,"stream":true}""";
    private const string Short = """{"prompt":"Once upon a time","temperature":0,"max_tokens":4}""";

    private async Task<HttpResponseMessage> Post(string json, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, CancellationToken ct = default) =>
        await server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, server.BaseUrl + "/completions")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        }, completion, ct);

    [Fact]
    public async Task A_full_server_answers_429_with_retry_after_and_an_openai_error()
    {
        using var hangUp = new CancellationTokenSource();
        using var running = await Post(LongStream, HttpCompletionOption.ResponseHeadersRead, hangUp.Token);
        Assert.Equal(HttpStatusCode.OK, running.StatusCode);
        using var events = new StreamReader(await running.Content.ReadAsStreamAsync(hangUp.Token));
        Assert.StartsWith("data: ", await events.ReadLineAsync(hangUp.Token)); // the first token: the reply holds the only slot

        using var refused = await Post(Short);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 without a Retry-After");
        var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("busy", error.GetProperty("message").GetString());

        hangUp.Cancel();
    }
}
