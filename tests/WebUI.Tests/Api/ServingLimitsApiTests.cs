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

    private Task<HttpResponseMessage> Post(string json) => server.Http.PostAsync(server.BaseUrl + "/completions", new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task A_full_server_answers_429_with_retry_after_and_an_openai_error()
    {
        await MetricsWhenIdleAsync();
        await using (var running = await LongStreamHeldAfterItsFirstStepAsync())
        {
            using var refused = await Post(Short);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 without a Retry-After");
            var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
            Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
            Assert.Contains("busy", error.GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task A_client_that_hangs_up_cancels_its_sequence_and_frees_its_place()
    {
        var before = await MetricsWhenIdleAsync();
        await using (var running = await LongStreamHeldAfterItsFirstStepAsync())
        {
            running.HangUp();
            await Task.Delay(500); // for the server to see the connection close before the next step
        }

        var after = await MetricsWhenIdleAsync();
        Assert.Equal(before[Aborted] + 1, after[Aborted]);
        Assert.Equal(before[RanToLength], after[RanToLength]); // it did not run on to its 400 tokens
        Assert.InRange(after[Generated] - before[Generated], 1, 399);
        using var next = await Post(Short);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    /// <summary>
    /// Starts the 400-token stream on a client of its own and reads its first token with the inference worker held
    /// just after the first step, so the stream holds the only place until disposed (which lets the worker go),
    /// however loaded the machine.
    /// </summary>
    private async Task<Held> LongStreamHeldAfterItsFirstStepAsync()
    {
        using var beforeFirstStep = new ManualResetEventSlim();
        var afterFirstStep = new ManualResetEventSlim();
        // Not drained on dispose (HttpClient would read the rest of a response to reuse its connection): disposing hangs up.
        var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 });
        server.Engine.PostToInferenceWorker(beforeFirstStep.Wait);
        var running = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, server.BaseUrl + "/completions")
        {
            Content = new StringContent(LongStream, Encoding.UTF8, "application/json"),
        }, HttpCompletionOption.ResponseHeadersRead); // queued: its step waits on the worker
        Assert.Equal(HttpStatusCode.OK, running.StatusCode);
        server.Engine.PostToInferenceWorker(afterFirstStep.Wait);
        beforeFirstStep.Set();
        var events = new StreamReader(await running.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await events.ReadLineAsync());
        // The first token is out before the step ends; the place counts as taken once it has.
        for (var deadline = DateTime.UtcNow.AddMinutes(1); server.Engine.ServingStats?.Running != 1; await Task.Delay(5))
            if (DateTime.UtcNow > deadline) { afterFirstStep.Set(); Assert.Fail("the long stream never held its place"); }
        return new Held(afterFirstStep, client, running);
    }

    private sealed class Held(ManualResetEventSlim worker, HttpClient client, HttpResponseMessage response) : IAsyncDisposable
    {
        /// <summary>Closes the connection, as a client that goes away does.</summary>
        public void HangUp()
        {
            response.Dispose();
            client.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            HangUp();
            worker.Set();
            return ValueTask.CompletedTask;
        }
    }

    private const string Aborted = "webui_requests_finished_total{finish_reason=\"abort\"}";
    private const string RanToLength = "webui_requests_finished_total{finish_reason=\"length\"}";
    private const string Generated = "webui_generation_tokens_total";

    // /metrics once nothing runs or waits (an earlier test's hung-up stream may still be ending).
    private async Task<Dictionary<string, long>> MetricsWhenIdleAsync()
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var text = await server.Http.GetStringAsync($"http://127.0.0.1:{server.Port}/metrics");
            var samples = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#'))
                .ToDictionary(l => l[..l.LastIndexOf(' ')], l => long.Parse(l[(l.LastIndexOf(' ') + 1)..]));
            if (samples["webui_requests_running"] == 0 && samples["webui_requests_waiting"] == 0) return samples;
            Assert.True(DateTime.UtcNow < deadline, "the server was still busy after a minute:\n" + text);
            await Task.Delay(50);
        }
    }
}
