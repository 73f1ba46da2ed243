using System.Threading.Channels;

namespace WebUI.Engine;

/// <summary>
/// A dedicated thread for torch work. Grad mode, inference mode and dispose scopes are thread-local in TorchSharp,
/// so all of it runs here, fed by a channel, and callers await the result instead of awaiting inside a scope.
/// </summary>
public sealed class TorchWorker : IDisposable
{
    private readonly Channel<Action> queue = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread thread;

    public TorchWorker(string name)
    {
        thread = new Thread(Loop) { Name = name, IsBackground = true };
        thread.Start();
    }

    public bool IsCurrentThread => Thread.CurrentThread == thread;

    public Task<T> Run<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (IsCurrentThread) throw new InvalidOperationException("work queued from the worker itself would wait for itself");
        var queued = queue.Writer.TryWrite(() =>
        {
            if (cancellationToken.IsCancellationRequested) { completion.TrySetCanceled(cancellationToken); return; }
            try { completion.TrySetResult(work()); }
            catch (OperationCanceledException e) { completion.TrySetCanceled(e.CancellationToken); }
            catch (Exception e) { completion.TrySetException(e); }
        });
        if (!queued) completion.TrySetException(new ObjectDisposedException(nameof(TorchWorker)));
        return completion.Task;
    }

    /// <summary>
    /// Queues work without waiting for it, also from the worker itself (a step that queues the next one). The work
    /// must handle its own exceptions.
    /// </summary>
    public void Post(Action work)
    {
        if (!queue.Writer.TryWrite(work)) throw new ObjectDisposedException(nameof(TorchWorker));
    }

    public Task Run(Action work, CancellationToken cancellationToken = default) =>
        Run(() => { work(); return true; }, cancellationToken);

    private void Loop()
    {
        var reader = queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            while (reader.TryRead(out var work)) work();
    }

    public void Dispose()
    {
        queue.Writer.TryComplete();
        if (!IsCurrentThread) thread.Join();
    }
}
