using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using WebUI.Engine.Adapters;
using WebUI.Engine.Studio;
using WebUI.Engine.Training;
using WebUI.Hubs;

namespace WebUI.Tests;

/// <summary>The real app on a loopback port of its own: a SignalR client follows a short LoRA run on stories260K.</summary>
public sealed class TrainingHubTests : IAsyncLifetime
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "webui-training-hub", Guid.NewGuid().ToString("N"));
    private readonly int port = FreePort();
    private WebApplication app = default!;

    public async Task InitializeAsync()
    {
        var paths = new StudioPaths(root);
        var model = Directory.CreateDirectory(Path.Combine(paths.Models, "stories260K")).FullName;
        foreach (var file in Directory.GetFiles(WebUI.Engine.Tests.SharedModels.Dir("stories260K")))
            File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        app = StudioApp.Build(["--port", port.ToString()], paths);
        await app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        try { Directory.Delete(root, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_client_receives_started_then_progress_in_step_order_then_finished_with_the_output()
    {
        var engine = app.Services.GetRequiredService<StudioEngine>();
        await engine.LoadModelAsync("stories260K");
        var dataset = Path.Combine(engine.Paths.Datasets, "hub-stories.txt");
        await File.WriteAllTextAsync(dataset, string.Concat(Enumerable.Repeat("Once upon a time, there was a little girl named Sue. She liked to play.\n", 40)));

        var events = new List<TrainingEvent>();
        var ended = new TaskCompletionSource<TrainingEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var connection = new HubConnectionBuilder().WithUrl($"http://127.0.0.1:{port}{TrainingHub.Path}").Build();
        connection.On<TrainingEvent>(TrainingHub.EventMethod, e =>
        {
            lock (events) events.Add(e);
            if (e.Kind is TrainingEventKind.Finished or TrainingEventKind.Failed) ended.TrySetResult(e);
        });
        await connection.StartAsync();

        await engine.StartTrainingAsync(new TrainingOptions
        {
            OutputName = "hub-lora", Data = new DatasetOptions { DatasetPath = dataset, Cutoff = 64, Overlap = 0 },
            Epochs = 2, MicroBatchSize = 2, BatchSize = 4, LearningRate = 1e-3, Lora = new LoraOptions { Rank = 4, Alpha = 8 },
        });
        var end = await ended.Task.WaitAsync(TimeSpan.FromMinutes(3));

        Assert.True(end.Kind == TrainingEventKind.Finished, end.Message);
        List<TrainingEvent> received;
        lock (events) received = [.. events];
        Assert.Equal(TrainingEventKind.Started, received[0].Kind);
        Assert.Equal(TrainingEventKind.Finished, received[^1].Kind);
        var steps = received.Where(e => e.Kind == TrainingEventKind.Progress).Select(e => e.Progress!.Step).ToList();
        Assert.True(steps.Count >= 4, $"only {steps.Count} progress events");
        Assert.Equal(Enumerable.Range(1, steps.Count), steps);
        Assert.All(received, e => Assert.Equal("hub-lora", e.JobName));
        Assert.Equal(steps.Count, end.Result!.Steps);
        // Watchers see studio paths, never the server's folders.
        Assert.Equal(Path.Combine("loras", "hub-lora"), end.Result.OutputPath);
        Assert.True(File.Exists(Path.Combine(root, end.Result.OutputPath, "adapter_model.safetensors")), end.Result.OutputPath);
        Assert.DoesNotContain(root, end.Message);

        // A client that connects later catches up from the snapshot.
        var snapshot = await connection.InvokeAsync<JsonElement>(nameof(TrainingHub.Snapshot));
        Assert.False(snapshot.GetProperty("running").GetBoolean());
        Assert.Equal(steps.Count, snapshot.GetProperty("history").GetArrayLength());
        Assert.Equal(end.Result.OutputPath, snapshot.GetProperty("result").GetProperty("outputPath").GetString());
        Assert.DoesNotContain(root, snapshot.GetRawText());
    }

    [Theory]
    [InlineData("http://evil.example", HttpStatusCode.Forbidden)]
    [InlineData("http://127.0.0.1:1", HttpStatusCode.Forbidden)]
    [InlineData(null, HttpStatusCode.OK)]
    [InlineData("self", HttpStatusCode.OK)]
    public async Task The_hubs_answer_only_pages_of_this_server(string? origin, HttpStatusCode expected)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        foreach (var hub in new[] { TrainingHub.Path, "/_blazor" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{hub}/negotiate?negotiateVersion=1");
            if (origin is not null) request.Headers.Add("Origin", origin == "self" ? $"http://127.0.0.1:{port}" : origin);
            using var response = await http.SendAsync(request);
            Assert.True(expected == response.StatusCode, $"{hub} from {origin}: {response.StatusCode}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
