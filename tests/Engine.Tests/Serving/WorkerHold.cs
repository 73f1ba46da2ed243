using WebUI.Engine.Generation;

namespace WebUI.Engine.Tests.Serving;

/// <summary>
/// Holds a torch worker from when the hold's turn comes until disposed: steps queued meanwhile wait, so a test sees a
/// state (a sequence running, another waiting) that a fast machine would pass through before the test looks.
/// </summary>
public sealed class WorkerHold : IDisposable
{
    private readonly ManualResetEventSlim gate = new();

    public WorkerHold(TorchWorker worker) => worker.Post(gate.Wait);

    public void Dispose() => gate.Set();

    /// <summary>
    /// Starts a request for the base model (it joins the queue at once) and lets the worker run exactly its first
    /// step: the request then runs, with its first two tokens out, until the returned hold is disposed.
    /// </summary>
    public static async Task<(GenerationStream Stream, WorkerHold AfterFirstStep)> StartHeldAfterFirstStepAsync(TorchWorker worker,
        GenerationScheduler scheduler, GenerationRequest request, CancellationToken cancellationToken = default)
    {
        await worker.Run(() => { }); // the end of an earlier request's last step, which could queue this one's step
        GenerationStream stream;
        WorkerHold afterFirstStep;
        using (new WorkerHold(worker)) // the request's first step is queued between the two holds
        {
            stream = await scheduler.StartAsync(request, cancellationToken);
            afterFirstStep = new WorkerHold(worker);
        }
        await WaitUntil(() => scheduler.RunningCount == 1, afterFirstStep);
        return (stream, afterFirstStep);
    }

    /// <summary>Polls for a state the worker reaches on its own; gives up (letting the worker go) after a minute.</summary>
    public static async Task WaitUntil(Func<bool> reached, IDisposable hold)
    {
        for (var deadline = DateTime.UtcNow.AddMinutes(1); !reached(); await Task.Delay(5))
            if (DateTime.UtcNow > deadline) { hold.Dispose(); Assert.Fail("the scheduler did not reach the state in a minute"); }
    }
}
