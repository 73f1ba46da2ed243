using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using WebUI.Engine.Studio;

namespace WebUI.Tests.Api;

/// <summary>An app started with --api-key and no model: /v1 wants the bearer key, and then says no model is loaded.</summary>
public sealed class ApiKeyTests : IAsyncLifetime
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "webui-api-key", Guid.NewGuid().ToString("N"));
    private readonly int port = ApiServer.FreePort();
    private readonly HttpClient http = new();
    private WebApplication app = default!;

    public async Task InitializeAsync()
    {
        app = StudioApp.Build(["--port", port.ToString(), "--api-key", "s3cret", "--max-concurrent", "2"], new StudioPaths(root));
        await app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        try { Directory.Delete(root, recursive: true); } catch (IOException) { }
    }

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string? key, string? json = null)
    {
        using var request = new HttpRequestMessage(method, $"http://127.0.0.1:{port}/v1{path}");
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task Without_the_key_401_with_it_200_and_without_a_model_503()
    {
        var missing = await Send(HttpMethod.Get, "/models", null);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("invalid_api_key", JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(HttpMethod.Get, "/models", "wrong")).StatusCode);
        var ok = await Send(HttpMethod.Get, "/models", "s3cret");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(0, JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetArrayLength());
        var chat = await Send(HttpMethod.Post, "/chat/completions", "s3cret", """{"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, chat.StatusCode);
        // /metrics asks for it too; with no model loaded nothing runs.
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"http://127.0.0.1:{port}/metrics")).StatusCode);
        using var metrics = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "s3cret") } };
        Assert.Contains("\nwebui_requests_running 0\n", await (await http.SendAsync(metrics)).Content.ReadAsStringAsync());
        // The rest of the app does not ask for the key.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{port}/")).StatusCode);
    }
}
