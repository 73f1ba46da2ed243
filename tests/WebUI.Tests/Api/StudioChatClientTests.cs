using Microsoft.Extensions.AI;
using WebUI.Engine.Studio;

namespace WebUI.Tests.Api;

/// <summary>Microsoft.Extensions.AI's IChatClient over the engine, in process with stories260K.</summary>
public sealed class StudioChatClientTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "webui-chat-client", Guid.NewGuid().ToString("N"));
    private readonly StudioEngine engine;

    public StudioChatClientTests()
    {
        engine = new StudioEngine(new StudioPaths(root));
        engine.LoadModelAsync(WebUI.Engine.Tests.SharedModels.Dir("stories260K")).GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        engine.Dispose();
        try { Directory.Delete(root, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_whole_reply_and_a_stream_agree_with_usage_and_finish_reason()
    {
        IChatClient client = new StudioChatClient(engine);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 10, ModelId = engine.Model!.Name };
        var whole = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Once upon a time")], options);
        Assert.Equal(ChatFinishReason.Length, whole.FinishReason);
        Assert.Equal(10, whole.Usage!.OutputTokenCount);
        Assert.True(whole.Usage.InputTokenCount > 0);
        Assert.NotEmpty(whole.Text);

        var streamed = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Once upon a time")], options)) streamed.Add(u);
        Assert.True(streamed.Count > 1);
        Assert.Equal(whole.Text, string.Concat(streamed.Select(u => u.Text)));
        Assert.Equal(ChatFinishReason.Length, streamed[^1].FinishReason);
    }

    [Fact]
    public async Task Stop_sequences_end_the_reply_and_unknown_models_are_refused()
    {
        IChatClient client = new StudioChatClient(engine);
        var full = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Once upon a time")], new ChatOptions { Temperature = 0, MaxOutputTokens = 30 });
        var cut = full.Text.Trim().Split(' ')[1];
        var stopped = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Once upon a time")],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 30, StopSequences = [cut] });
        Assert.Equal(ChatFinishReason.Stop, stopped.FinishReason);
        Assert.DoesNotContain(cut, stopped.Text);
        await Assert.ThrowsAsync<ModelNotFoundException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { ModelId = "nobody" }));
    }
}
