using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using WebUI.Engine.Tests.Adapters;

namespace WebUI.Engine.Tests.Serving;

/// <summary>
/// Continuous batching: sequences of different lengths and adapters decode in one batch exactly as they do alone,
/// join a running batch, leave it when cancelled, and wait (or are refused) when every place is taken.
/// </summary>
public sealed class SchedulerTests : IAsyncLifetime
{
    private readonly TorchWorker worker = new("scheduler-test");
    private readonly string loras = TinyModels.TempDir();
    private LoadedModel model = null!;
    private AdapterCache cache = null!;

    public async Task InitializeAsync()
    {
        model = await worker.Run(() => TinyModels.Create(ModelFamily.Llama));
        cache = new AdapterCache(name => Path.Combine(loras, name), capacity: 4);
        await worker.Run(() =>
        {
            foreach (var (name, seed) in new[] { ("a", 1L), ("b", 2L) })
            {
                using var adapter = TestAdapters.Random(model, seed, name: name);
                adapter.Save(Path.Combine(loras, name));
            }
        });
    }

    public async Task DisposeAsync()
    {
        await worker.Run(() => { cache.Dispose(); model.Dispose(); });
        worker.Dispose();
    }

    private GenerationScheduler Scheduler(int maxConcurrent = 16, int maxQueue = 64) =>
        new(worker, model, cache, new SchedulerLimits(maxConcurrent, maxQueue));

    private static GenerationRequest Greedy(int[] prompt, int tokens, params AdapterWeight[] adapters) =>
        new(prompt, GenerationOptions.Greedy(tokens) with { StopAtEos = false }, adapters);

    private static async Task<List<int>> Tokens(IAsyncEnumerable<GenerationChunk> chunks)
    {
        var tokens = new List<int>();
        await foreach (var chunk in chunks)
            if (chunk.TokenId is { } id) tokens.Add(id);
        return tokens;
    }

    [Fact]
    public async Task Mixed_adapters_and_lengths_in_one_batch_give_the_tokens_of_sequential_runs()
    {
        GenerationRequest[] requests =
        [
            Greedy([1, 5, 9], 12),
            Greedy([7, 3], 20, new AdapterWeight("a", 1)),
            Greedy([2, 4, 6, 8, 10, 12], 9, new AdapterWeight("b", 1)),
            Greedy([11], 15, new AdapterWeight("a", 0.7), new AdapterWeight("b", 0.3)),
            Greedy([1, 5, 9], 12, new AdapterWeight("a", 1)),
        ];
        await using var scheduler = Scheduler();
        var alone = new List<List<int>>();
        foreach (var request in requests) alone.Add(await Tokens(scheduler.GenerateAsync(request)));
        Assert.NotEqual(alone[0], alone[4]); // the adapter changes this prompt's continuation

        var together = await Task.WhenAll(requests.Select(r => Tokens(scheduler.GenerateAsync(r))));

        for (int i = 0; i < requests.Length; i++) Assert.Equal(alone[i], together[i]);
        Assert.Equal([12, 20, 9, 15, 12], together.Select(t => t.Count));
    }

    [Fact]
    public async Task Prompts_prefilled_together_right_padded_give_the_tokens_of_each_alone()
    {
        GenerationRequest[] requests =
        [
            Greedy([1, 5, 9, 2, 8], 10, new AdapterWeight("a", 1)),
            Greedy([7, 3], 1), // done at its first token: leaves no gap in the rows
            Greedy([4, 4, 6], 12, new AdapterWeight("b", 1)),
            Greedy([11], 8),
        ];
        var (alone, together, unadapted) = await worker.Run(() =>
        {
            var leases = requests.Select(r => cache.Acquire(r.Adapters, model)).ToList();
            try
            {
                var group = requests.Zip(leases).ToList();
                return (group.Select(r => Decode([r])[0]).ToList(), Decode(group), Decode([(requests[0] with { Adapters = [] }, null)])[0]);
            }
            finally
            {
                foreach (var lease in leases) lease.Dispose();
            }
        });

        for (int i = 0; i < requests.Length; i++) Assert.Equal(alone[i], together[i]);
        Assert.Equal([10, 1, 12, 8], together.Select(t => t.Count));
        Assert.NotEqual(unadapted, together[0]); // the first row's adapter applied in the padded prefill and after
    }

    // The requests admitted in one prefill, then decoded to the end, on the worker; the tokens each one emitted.
    // With cancelRow, that row is cancelled between two steps, after cancelAfterSteps of them.
    private List<List<int>> Decode(List<(GenerationRequest Request, AdapterLease? Lease)> group, int cancelRow = -1, int cancelAfterSteps = 0)
    {
        var emitted = group.Select(_ => new List<int>()).ToList();
        using var cancel = new CancellationTokenSource();
        var sequences = group.Select((r, i) => new GenerationSequence(model, r.Request.PromptIds, r.Request.Options, r.Lease?.Adapters ?? [],
            chunk => { if (chunk.TokenId is { } id) emitted[i].Add(id); }, i == cancelRow ? cancel.Token : default)).ToList();
        using var decoder = new BatchDecoder(model, manageAdapters: true);
        decoder.Admit(sequences);
        for (int steps = 0; decoder.Running > 0; steps++)
        {
            if (steps == cancelAfterSteps && cancelRow >= 0) cancel.Cancel();
            decoder.Step();
        }
        return emitted;
    }

    [Fact]
    public async Task A_sequence_cancelled_between_steps_leaves_and_the_others_go_on_exactly()
    {
        GenerationRequest[] requests = [Greedy([1, 5, 9], 12), Greedy([7, 3], 40, new AdapterWeight("a", 1)), Greedy([4, 4, 6], 12, new AdapterWeight("b", 1))];
        var (alone, together) = await worker.Run(() =>
        {
            var leases = requests.Select(r => cache.Acquire(r.Adapters, model)).ToList();
            try
            {
                var group = requests.Zip(leases).Select(p => (p.First, (AdapterLease?)p.Second)).ToList();
                return (group.Select(r => Decode([r])[0]).ToList(), Decode(group, cancelRow: 1, cancelAfterSteps: 3));
            }
            finally
            {
                foreach (var lease in leases) lease.Dispose();
            }
        });

        Assert.Equal(4, together[1].Count); // its first token from the prefill and one from each of 3 steps, then no more
        Assert.Equal(alone[0], together[0]);
        Assert.Equal(alone[2], together[2]); // the last row moved into the cancelled one's slot and went on
    }

    [Fact]
    public async Task A_sequence_joins_a_running_batch_without_waiting_for_it_to_drain()
    {
        await using var scheduler = Scheduler();
        var expected = await Tokens(scheduler.GenerateAsync(Greedy([3, 1, 4], 10, new AdapterWeight("b", 1))));
        var (longRun, afterFirstStep) = await WorkerHold.StartHeldAfterFirstStepAsync(worker, scheduler, Greedy([1, 2], 400));
        await using var _ = longRun;
        using var __ = afterFirstStep;
        var reader = longRun.ReadAllAsync().GetAsyncEnumerator();
        for (int i = 0; i < 2; i++) Assert.True(await reader.MoveNextAsync());

        var joining = Tokens(scheduler.GenerateAsync(Greedy([3, 1, 4], 10, new AdapterWeight("b", 1)))); // its adapter is read on the worker
        using (var joined = new WorkerHold(worker))
        {
            afterFirstStep.Dispose();
            await WorkerHold.WaitUntil(() => scheduler.QueuedCount == 1 && scheduler.RunningCount == 1, joined); // the long one runs as the short one joins
        }
        Assert.Equal(expected, await joining);
        Assert.Equal(1, scheduler.RunningCount); // the long one is still going: the short one did not wait for it
        await reader.DisposeAsync();
    }

    [Fact]
    public async Task Cancelling_one_sequence_mid_batch_leaves_the_others_exact()
    {
        await using var scheduler = Scheduler();
        var expected = await Tokens(scheduler.GenerateAsync(Greedy([5, 6, 7], 30, new AdapterWeight("a", 1))));
        using var cancel = new CancellationTokenSource();
        var (doomed, afterFirstStep) = await WorkerHold.StartHeldAfterFirstStepAsync(worker, scheduler, Greedy([9, 9], 500), cancel.Token);
        await using var _ = doomed;
        using var __ = afterFirstStep;
        var survivor = Tokens(scheduler.GenerateAsync(Greedy([5, 6, 7], 30, new AdapterWeight("a", 1))));
        using (var joined = new WorkerHold(worker))
        {
            afterFirstStep.Dispose();
            await WorkerHold.WaitUntil(() => scheduler.QueuedCount == 1, joined); // the survivor joins at the next step, as the doomed one is cancelled
            cancel.Cancel();
        }

        var chunks = new List<GenerationChunk>();
        await foreach (var chunk in doomed.ReadAllAsync()) chunks.Add(chunk);
        Assert.Equal(FinishReason.Cancelled, chunks[^1].FinishReason);
        // The prefill's token, the first step's, and one more if the next step was queued before the hold; then it left.
        Assert.InRange(chunks.Count(c => c.TokenId is not null), 2, 3);
        Assert.Equal(expected, await survivor);
    }

    [Fact]
    public async Task Past_the_running_limit_requests_wait_in_order_and_past_the_queue_they_are_refused()
    {
        await using var scheduler = Scheduler(maxConcurrent: 1, maxQueue: 1);
        var (first, afterFirstStep) = await WorkerHold.StartHeldAfterFirstStepAsync(worker, scheduler, Greedy([1, 2], 300));
        await using var _ = first;
        using var __ = afterFirstStep;
        var firstReader = first.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await firstReader.MoveNextAsync());
        await using var second = await scheduler.StartAsync(Greedy([3, 4], 5));

        var refused = await Assert.ThrowsAsync<SchedulerBusyException>(() => scheduler.StartAsync(Greedy([5], 5)));
        Assert.StartsWith("busy", refused.Message);

        var secondReader = second.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await secondReader.MoveNextAsync());
        Assert.Equal(0, secondReader.Current.QueuedAhead); // told it waits, first in line
        Assert.Null(secondReader.Current.TokenId);
        afterFirstStep.Dispose();
        await firstReader.DisposeAsync(); // the running one leaves: the waiting one gets its place
        var tokens = 0;
        while (await secondReader.MoveNextAsync()) if (secondReader.Current.TokenId is not null) tokens++;
        Assert.Equal(5, tokens);
        await secondReader.DisposeAsync();
    }

    [Fact]
    public async Task Bad_requests_fail_before_they_stream_and_name_the_problem()
    {
        await using var scheduler = Scheduler();
        var tooLong = Enumerable.Repeat(3, model.Config.MaxPositions).ToArray();
        Assert.Contains("context", (await Assert.ThrowsAsync<PromptTooLongException>(() => scheduler.StartAsync(Greedy(tooLong, 4)))).Message);
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => scheduler.StartAsync(Greedy([1], 4, new AdapterWeight("missing", 1))));
        Assert.Contains("temperature", (await Assert.ThrowsAsync<ArgumentException>(() =>
            scheduler.StartAsync(new GenerationRequest([1], new GenerationOptions { Temperature = -1 }, [])))).Message);
        Assert.Equal(4, (await Tokens(scheduler.GenerateAsync(Greedy([1], 4))))[..4].Count); // still serving
    }

    [Fact]
    public async Task An_adapter_rewritten_on_disk_is_read_again()
    {
        await using var scheduler = Scheduler();
        var before = await Tokens(scheduler.GenerateAsync(Greedy([1, 5, 9], 12, new AdapterWeight("a", 1))));
        await worker.Run(() =>
        {
            using var other = TestAdapters.Random(model, 3, name: "a");
            other.Save(Path.Combine(loras, "a"), overwrite: true);
        });
        File.SetLastWriteTimeUtc(Path.Combine(loras, "a", "adapter_model.safetensors"), DateTime.UtcNow.AddMinutes(1));

        var after = await Tokens(scheduler.GenerateAsync(Greedy([1, 5, 9], 12, new AdapterWeight("a", 1))));

        Assert.NotEqual(before, after);
    }
}
