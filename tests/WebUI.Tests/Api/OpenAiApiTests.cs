using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace WebUI.Tests.Api;

/// <summary>/v1 on the real app, through the official OpenAI .NET SDK and, for raw shapes and errors, plain HTTP.</summary>
public sealed class OpenAiApiTests(ApiServer server) : IClassFixture<ApiServer>
{
    private OpenAIClient Client() => new(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseUrl) });

    private Task<HttpResponseMessage> Post(string path, string json) =>
        server.Http.PostAsync(server.BaseUrl + path, new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task<JsonElement> Json(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task Models_lists_the_base_model_and_the_adapters_that_fit()
    {
        var models = (await Client().GetOpenAIModelClient().GetModelsAsync()).Value.Select(m => m.Id).ToList();
        Assert.Equal(ApiServer.ModelName, models[0]);
        Assert.Equal(["sue", "tom"], models.Skip(1).Order());
    }

    [Fact]
    public async Task A_greedy_completion_continues_the_story_with_usage_and_legacy_logprobs()
    {
        var response = await Post("/completions", $$"""{"model":"{{ApiServer.ModelName}}","prompt":"Once upon a time","temperature":0,"max_tokens":20,"logprobs":2,"extra_field":1}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json(response);
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        var choice = body.GetProperty("choices")[0];
        Assert.StartsWith(", there was a little girl named Lily", choice.GetProperty("text").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var logprobs = choice.GetProperty("logprobs");
        Assert.Equal(20, logprobs.GetProperty("tokens").GetArrayLength());
        Assert.Equal(20, logprobs.GetProperty("token_logprobs").GetArrayLength());
        Assert.Equal(2, logprobs.GetProperty("top_logprobs")[0].EnumerateObject().Count());
        Assert.Equal(0, logprobs.GetProperty("text_offset")[0].GetInt32());
        var usage = body.GetProperty("usage");
        Assert.Equal(20, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + 20, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task A_streamed_completion_sends_text_chunks_then_usage_then_done()
    {
        var response = await Post("/completions", """{"prompt":"Once upon a time","temperature":0,"max_tokens":12,"stream":true,"stream_options":{"include_usage":true}}""");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToList();
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.StartsWith(", there was", string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString())));
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());
        Assert.Equal(12, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task A_chat_streams_through_the_sdk_with_an_adapter_and_usage()
    {
        var chat = Client().GetChatClient("sue");
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 };
        await foreach (var update in chat.CompleteChatStreamingAsync([new SystemChatMessage("Tell stories."), new UserChatMessage("Once upon a time")], options))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }
        Assert.True(text.Length > 0);
        Assert.NotNull(finish);
        Assert.NotNull(usage); // the SDK asks for include_usage itself
        Assert.True(usage!.OutputTokenCount is > 0 and <= 24);
    }

    [Fact]
    public async Task A_whole_chat_reply_carries_chat_logprobs_and_the_finish_reason()
    {
        var chat = Client().GetChatClient(ApiServer.ModelName);
        var reply = (await chat.CompleteChatAsync([new UserChatMessage("Once upon a time")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 8, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 })).Value;
        Assert.Equal(ChatFinishReason.Length, reply.FinishReason);
        Assert.Equal(8, reply.Usage.OutputTokenCount);
        Assert.Equal(8, reply.ContentTokenLogProbabilities.Count);
        Assert.All(reply.ContentTokenLogProbabilities, t => Assert.Equal(3, t.TopLogProbabilities.Count));
    }

    [Fact]
    public async Task Two_concurrent_streams_with_different_adapters_both_complete()
    {
        async Task<(string, ChatFinishReason?)> Stream(string model)
        {
            var text = new StringBuilder();
            ChatFinishReason? finish = null;
            await foreach (var u in Client().GetChatClient(model).CompleteChatStreamingAsync([new UserChatMessage("Once upon a time")],
                new ChatCompletionOptions { Temperature = 0.8f, MaxOutputTokenCount = 40 }))
            {
                foreach (var part in u.ContentUpdate) text.Append(part.Text);
                finish ??= u.FinishReason;
            }
            return (text.ToString(), finish);
        }
        var both = await Task.WhenAll(Stream("sue"), Stream("tom:0.5+sue:0.5"));
        Assert.All(both, r => { Assert.NotEmpty(r.Item1); Assert.NotNull(r.Item2); });
    }

    [Fact]
    public async Task Tokenize_returns_the_ids()
    {
        var body = await Json(await Post("/internal/tokenize", """{"text":"Once upon a time"}"""));
        Assert.Equal(server.Engine.Tokenize("Once upon a time"), body.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Theory]
    [InlineData("/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"temperature":3}""", 400, "temperature", null)]
    [InlineData("/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"max_tokens":-1}""", 400, "max_tokens", null)]
    [InlineData("/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""", 400, "temperature", null)]
    [InlineData("/chat/completions", """{"messages":[]}""", 400, "messages", null)]
    [InlineData("/chat/completions", """{"messages":[{"role":"wizard","content":"hi"}]}""", 400, "messages[0].role", null)]
    [InlineData("/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"n":2}""", 400, "n", null)]
    [InlineData("/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":6}""", 400, "top_logprobs", null)]
    [InlineData("/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"chat_template":"nope"}""", 400, "chat_template", null)]
    [InlineData("/chat/completions", """{"model":"../x","messages":[{"role":"user","content":"hi"}]}""", 400, "model", "invalid_model")]
    [InlineData("/chat/completions", """{"model":"nobody","messages":[{"role":"user","content":"hi"}]}""", 404, "model", "model_not_found")]
    [InlineData("/chat/completions", """{"model":"misfit","messages":[{"role":"user","content":"hi"}],"stream":true}""", 400, "model", "adapter_mismatch")]
    [InlineData("/chat/completions", """{"messages":[{"role":"user","content":"hi"}""", 400, null, "invalid_json")]
    [InlineData("/completions", """{"prompt":42}""", 400, "prompt", null)]
    [InlineData("/completions", """{"prompt":"x","stop":[1]}""", 400, "stop", null)]
    public async Task Bad_requests_get_an_openai_error_naming_the_parameter(string path, string json, int status, string? param, string? code)
    {
        var response = await Post(path, json);
        Assert.Equal(status, (int)response.StatusCode);
        var error = (await Json(response)).GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(param, error.GetProperty("param").GetString());
        if (code is not null) Assert.Equal(code, error.GetProperty("code").GetString());
        if (path.Contains("misfit") || json.Contains("misfit")) Assert.Contains("shape", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_is_refused()
    {
        var prompt = string.Concat(Enumerable.Repeat("Once upon a time there was a girl. ", 200));
        var response = await Post("/completions", JsonSerializer.Serialize(new { prompt }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Json(response)).GetProperty("error");
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("prompt", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task A_body_over_8_MB_gets_413()
    {
        // Raw HTTP, so the client is not cut off mid-upload: the server answers from the Content-Length alone.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\n" +
            $"Content-Type: application/json\r\nContent-Length: {9 * 1024 * 1024}\r\n\r\n{{\"prompt\":\""));
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        var head = Encoding.ASCII.GetString(buffer, 0, read);
        Assert.StartsWith("HTTP/1.1 413", head);
        Assert.Contains("request_too_large", head);
    }

    [Fact]
    public async Task A_request_for_another_host_name_gets_400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, server.BaseUrl + "/models");
        request.Headers.Host = "evil.example";
        Assert.Equal(HttpStatusCode.BadRequest, (await server.Http.SendAsync(request)).StatusCode);
        using var local = new HttpRequestMessage(HttpMethod.Get, server.BaseUrl + "/models");
        local.Headers.Host = $"localhost:{server.Port}";
        Assert.Equal(HttpStatusCode.OK, (await server.Http.SendAsync(local)).StatusCode);
    }
}
