using System.Threading.Channels;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Generation;

/// <summary>How many sequences decode together, and how many more may wait for a place.</summary>
public sealed record SchedulerLimits(int MaxConcurrent = 16, int MaxQueue = 64)
{
    public SchedulerLimits Validate()
    {
        if (MaxConcurrent < 1) throw new ArgumentException($"max concurrent sequences must be at least 1 (got {MaxConcurrent})");
        if (MaxQueue < 0) throw new ArgumentException($"max queued requests must be 0 or more (got {MaxQueue})");
        return this;
    }
}

/// <summary>What to generate: the prompt's ids, how to sample, and the adapters for this request alone (none: the base model).</summary>
public sealed record GenerationRequest(IReadOnlyList<int> PromptIds, GenerationOptions Options, IReadOnlyList<AdapterWeight> Adapters);

/// <summary>Every place is taken and the queue is full: try again later.</summary>
public sealed class SchedulerBusyException(string message) : Exception(message);

/// <summary>
/// The one way generation runs on a loaded model: requests from every caller (chat, API, command line) wait in
/// order, are prefilled on the inference worker, and join the running batch at the next decode step, which is one
/// forward pass over all of them (see <see cref="BatchDecoder"/>). Steps are queued on the worker one at a time,
/// so other work there (loading, exports) runs between two steps. Adapters are taken from the
/// <see cref="AdapterCache"/> for as long as a sequence runs.
/// </summary>
public sealed class GenerationScheduler : IAsyncDisposable
{
    // A step that admits sequences prefills at most this many prompt tokens, so that running ones keep flowing.
    private const int PrefillBudget = 2048;
    private readonly TorchWorker worker;
    private readonly LoadedModel model;
    private readonly AdapterCache adapterCache;
    private readonly SchedulerLimits limits;
    // Below a few million weights a decode step's ops are too small to share: syncing threads costs more than it
    // saves (stories260K decodes ~1.3x faster on one thread).
    private readonly int usefulThreads;
    private readonly CancellationTokenSource shutdown = new();
    private readonly object sync = new();
    private readonly LinkedList<Entry> waiting = new();  // under sync
    private readonly List<Entry> admitted = [];          // worker thread only
    private BatchDecoder? decoder;                       // worker thread only
    private int running;                                 // under sync
    private bool stepQueued;                             // under sync
    private string? closedReason;                        // under sync
    private TaskCompletionSource idle = NewIdle();       // under sync
    private long promptTokens, generatedTokens;          // Interlocked
    private readonly long[] finished = new long[Enum.GetValues<FinishReason>().Length]; // Interlocked

    public GenerationScheduler(TorchWorker worker, LoadedModel model, AdapterCache adapterCache, SchedulerLimits limits)
    {
        this.worker = worker;
        this.model = model;
        this.adapterCache = adapterCache;
        this.limits = limits.Validate();
        usefulThreads = model.Model.ParameterCount() < 5_000_000 ? 1 : int.MaxValue;
    }

    public LoadedModel Model => model;
    public int RunningCount { get { lock (sync) return running; } }
    public int QueuedCount { get { lock (sync) return waiting.Count; } }

    public ServingStats Stats
    {
        get
        {
            lock (sync)
                return new ServingStats(running, waiting.Count, Interlocked.Read(ref promptTokens), Interlocked.Read(ref generatedTokens),
                    Enum.GetValues<FinishReason>().ToDictionary(r => r, r => Interlocked.Read(ref finished[(int)r])));
        }
    }

    /// <summary>
    /// Checks the request and takes a place for it; throws at once (<see cref="ArgumentException"/> for bad options,
    /// a too-long prompt or an adapter that does not fit, <see cref="SchedulerBusyException"/> when the queue is full),
    /// so that a caller can answer before streaming anything. The stream ends with a chunk carrying the finish reason;
    /// while the request waits for a place it gets chunks with <see cref="GenerationChunk.QueuedAhead"/>.
    /// </summary>
    public async Task<GenerationStream> StartAsync(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        request.Options.Validate();
        ThrowIfClosedOrFull();
        // Adapters are read (once, then cached) on the worker, between two steps; a request for the base model
        // needs none, so it joins the queue without waiting for a step to end.
        var lease = request.Adapters.Count == 0 ? adapterCache.NoAdapters
            : await worker.Run(() => adapterCache.Acquire(request.Adapters, model), cancellationToken);
        var chunks = Channel.CreateUnbounded<GenerationChunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown.Token, cancellationToken);
        try
        {
            var sequence = new GenerationSequence(model, request.PromptIds, request.Options, lease.Adapters, chunk =>
            {
                chunks.Writer.TryWrite(chunk);
                if (chunk.FinishReason is not { } reason) return;
                chunks.Writer.TryComplete();
                Count(reason, chunk.Stats);
            }, stop.Token);
            lock (sync)
            {
                ThrowIfClosedOrFull();
                waiting.AddLast(new Entry(sequence, lease, chunks.Writer));
                TellQueuePositions();
                QueueStep();
            }
        }
        catch
        {
            stop.Dispose();
            _ = worker.Run(lease.Dispose, CancellationToken.None);
            throw;
        }
        return new GenerationStream(request.PromptIds.Count, chunks.Reader, stop);
    }

    /// <summary>Start and stream in one; the sequence stops when the caller stops reading or cancels.</summary>
    public async IAsyncEnumerable<GenerationChunk> GenerateAsync(GenerationRequest request,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var stream = await StartAsync(request, cancellationToken);
        await foreach (var chunk in stream.ReadAllAsync(cancellationToken)) yield return chunk;
    }

    /// <summary>
    /// Refuses new requests with <paramref name="reason"/> and waits until every running and queued one has finished
    /// (full fine-tuning must not change weights under a reply). <see cref="Reopen"/> takes requests again.
    /// </summary>
    public Task CloseAndDrainAsync(string reason)
    {
        lock (sync)
        {
            closedReason = reason;
            return running == 0 && waiting.Count == 0 && !stepQueued ? Task.CompletedTask : idle.Task;
        }
    }

    public void Reopen()
    {
        lock (sync) closedReason = null;
    }

    /// <summary>Cancels everything running or queued, waits for it to end, and frees the decoder's memory.</summary>
    public async ValueTask DisposeAsync()
    {
        var drained = CloseAndDrainAsync("the model is being unloaded");
        shutdown.Cancel();
        lock (sync) QueueStep();
        await drained;
        await worker.Run(() => { decoder?.Dispose(); decoder = null; });
        shutdown.Dispose();
    }

    private void ThrowIfClosedOrFull()
    {
        lock (sync)
        {
            if (closedReason is not null) throw new SchedulerBusyException($"busy: {closedReason}");
            if (running + waiting.Count >= limits.MaxConcurrent + limits.MaxQueue)
                throw new SchedulerBusyException($"busy: {running} replies are being generated and {waiting.Count} requests wait; try again shortly");
        }
    }

    // Under sync. One step at a time is queued on the worker; each queues the next while there is work.
    private void QueueStep()
    {
        if (stepQueued || (running == 0 && waiting.Count == 0)) return;
        stepQueued = true;
        worker.Post(Iterate);
    }

    // On the worker: drop cancelled waiters, admit what fits, then one decode step over everything running.
    private void Iterate()
    {
        decoder ??= new BatchDecoder(model, manageAdapters: true);
        CpuThreads.Apply(usefulThreads);
        try
        {
            foreach (var group in TakePrefillGroups(limits.MaxConcurrent - decoder.Running))
            {
                admitted.AddRange(group);
                try { decoder.Admit([.. group.Select(e => e.Sequence)]); }
                catch (Exception e)
                {
                    // A prefill that fails fails its own requests only.
                    foreach (var entry in group)
                    {
                        entry.Writer.TryComplete(e);
                        entry.Sequence.Finish(FinishReason.Cancelled);
                    }
                }
            }
            if (decoder.Running > 0) decoder.Step();
        }
        catch (Exception e)
        {
            // A failed step (out of memory, say) fails what was running; the scheduler itself goes on.
            foreach (var entry in admitted) entry.Writer.TryComplete(e);
            decoder.Dispose();
            decoder = null;
        }
        finally
        {
            ReleaseFinished();
            lock (sync)
            {
                running = decoder?.Running ?? 0;
                stepQueued = false;
                TellQueuePositions();
                if (running == 0 && waiting.Count == 0) { idle.TrySetResult(); idle = NewIdle(); }
                QueueStep();
            }
        }
    }

    /// <summary>
    /// Waiting requests for this step's prefills, in order: at most <paramref name="places"/> and
    /// <see cref="PrefillBudget"/> prompt tokens, so running sequences keep flowing. Prompts of similar length go
    /// into one group, prefilled together right-padded to the longest; a prompt that would more than double a
    /// group's padded size starts a new one.
    /// </summary>
    private List<List<Entry>> TakePrefillGroups(int places)
    {
        var groups = new List<List<Entry>>();
        int budget = PrefillBudget, groupTokens = 0, groupLongest = 0;
        while (places-- > 0 && budget > 0 && TakeWaiting() is { } next)
        {
            int length = next.Sequence.PromptIds.Count, longest = Math.Max(groupLongest, length);
            bool fits = groups.Count > 0 && (groups[^1].Count + 1) * longest <= 2 * (groupTokens + length);
            if (!fits) { groups.Add([]); groupTokens = 0; longest = length; }
            groups[^1].Add(next);
            groupTokens += length;
            groupLongest = longest;
            budget -= length;
        }
        return groups;
    }

    private Entry? TakeWaiting()
    {
        lock (sync)
        {
            while (waiting.First is { } first)
            {
                waiting.RemoveFirst();
                if (!first.Value.Sequence.IsCancellationRequested) return first.Value;
                first.Value.Sequence.Finish(FinishReason.Cancelled);
                first.Value.Lease.Dispose();
            }
            return null;
        }
    }

    private void ReleaseFinished()
    {
        for (int i = admitted.Count - 1; i >= 0; i--)
        {
            if (!admitted[i].Sequence.IsDone && decoder is not null) continue;
            admitted[i].Lease.Dispose();
            admitted.RemoveAt(i);
        }
    }

    // Under sync: while every place is taken, a waiter hears how many are ahead of it whenever that changes.
    private void TellQueuePositions()
    {
        if (running < limits.MaxConcurrent) return;
        int ahead = 0;
        foreach (var entry in waiting)
        {
            if (entry.ToldAhead != ahead) entry.Writer.TryWrite(new GenerationChunk("", null, null, QueuedAhead: ahead));
            entry.ToldAhead = ahead++;
        }
    }

    private void Count(FinishReason reason, GenerationStats? stats)
    {
        Interlocked.Increment(ref finished[(int)reason]);
        if (stats is null) return;
        Interlocked.Add(ref promptTokens, stats.PromptTokens);
        Interlocked.Add(ref generatedTokens, stats.GeneratedTokens);
    }

    private static TaskCompletionSource NewIdle() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Entry(GenerationSequence sequence, AdapterLease lease, ChannelWriter<GenerationChunk> writer)
    {
        public GenerationSequence Sequence { get; } = sequence;
        public AdapterLease Lease { get; } = lease;
        public ChannelWriter<GenerationChunk> Writer { get; } = writer;
        public int ToldAhead { get; set; } = -1;
    }
}
