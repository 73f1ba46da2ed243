using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using WebUI.Engine.Studio;

namespace WebUI.Hubs;

/// <summary>
/// /hubs/training: every event of the training job ("TrainingEvent" messages) goes to every connected client;
/// a client that connects mid-run asks for <see cref="Snapshot"/> to catch up. Paths are shown relative to the
/// studio (e.g. "loras/sue"): the server's own folders are none of a watcher's business.
/// </summary>
public sealed class TrainingHub(StudioEngine engine) : Hub
{
    public const string Path = "/hubs/training";
    public const string EventMethod = "TrainingEvent";

    public TrainingSnapshot Snapshot()
    {
        var shown = engine.Training;
        return shown with
        {
            Options = shown.Options is { } o ? o with
            {
                Data = o.Data with
                {
                    DatasetPath = engine.Paths.Shown(o.Data.DatasetPath),
                    FormatPath = engine.Paths.Shown(o.Data.FormatPath),
                    EvalDatasetPath = engine.Paths.Shown(o.Data.EvalDatasetPath),
                },
            } : null,
            Result = Shown(shown.Result, engine.Paths),
        };
    }

    internal static TrainingEvent Shown(TrainingEvent e, StudioPaths paths) => e with { Result = Shown(e.Result, paths) };

    private static WebUI.Engine.Training.TrainingResult? Shown(WebUI.Engine.Training.TrainingResult? result, StudioPaths paths) => result is null ? null : result with
    {
        OutputPath = paths.Shown(result.OutputPath),
        CheckpointPath = paths.Shown(result.CheckpointPath),
    };
}

/// <summary>
/// Forwards the engine's training events to the hub's clients for the app's whole lifetime, one at a time and in the
/// order they happened (concurrent sends could overtake each other, and a progress chart wants steps in order).
/// </summary>
public sealed class TrainingBroadcaster(StudioEngine engine, IHubContext<TrainingHub> hub, ILogger<TrainingBroadcaster> log) : IHostedService
{
    private readonly Channel<TrainingEvent> queue = Channel.CreateUnbounded<TrainingEvent>(new UnboundedChannelOptions { SingleReader = true });
    private Task? sending;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        engine.TrainingEvents += Enqueue;
        sending = SendAllAsync();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        engine.TrainingEvents -= Enqueue;
        queue.Writer.TryComplete();
        if (sending is not null) await sending.WaitAsync(cancellationToken);
    }

    // Raised on the training thread: hand off without waiting, so training never blocks on a slow client.
    private void Enqueue(TrainingEvent e) => queue.Writer.TryWrite(e);

    private async Task SendAllAsync()
    {
        await foreach (var e in queue.Reader.ReadAllAsync())
        {
            try
            {
                await hub.Clients.All.SendAsync(TrainingHub.EventMethod, TrainingHub.Shown(e, engine.Paths));
            }
            catch (Exception error)
            {
                log.LogWarning(error, "broadcasting a training event failed");
            }
        }
    }
}
