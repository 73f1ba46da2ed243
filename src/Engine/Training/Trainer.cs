using System.Diagnostics;
using TorchSharp;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Training;

/// <summary>
/// The training loop, nanoGPT-style and synchronous: call it on a torch thread. Each optimizer step accumulates
/// gradients over micro-batches, clips, steps AdamW at the scheduled rate, and reports; evaluation, checkpoints,
/// the stop-at-loss threshold and cancellation are checked between steps.
/// </summary>
public sealed class Trainer(LoadedModel loaded, TrainingOptions options, BuiltDataset data, TrainingPaths paths, string? referenceText = null)
{
    /// <summary>The weights of the best evaluation so far, beside the run's checkpoints (not one itself: no optimizer state).</summary>
    public const string BestFolderName = "best";

    public TrainingResult Run(IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        options.Validate();
        var model = loaded.Model;
        var batches = new TrainingBatches(data.Train, options.MicroBatchSize, options.Epochs, options.Seed);
        int accumulation = options.GradientAccumulation;
        int totalSteps = (batches.Count + accumulation - 1) / accumulation;
        var schedule = new LearningRateSchedule(options.Scheduler, options.LearningRate, options.WarmupSteps, totalSteps);
        int padId = loaded.Tokenizer.EosIds.FirstOrDefault();

        using var weights = TrainableWeights.Create(loaded, options);
        using var optimizer = new AdamW(weights.Parameters, options.WeightDecay);
        using var dropoutRandom = new Generator((ulong)options.Seed);
        var state = TrainingState.Fresh();
        if (options.Resume) state = TrainingCheckpoints.RestoreNewest(paths.Checkpoints, weights, optimizer, dropoutRandom);

        using var dropout = AdapterDropout.Use(dropoutRandom);
        var clock = Stopwatch.StartNew();
        var lastCheckpoint = state.Step > 0 ? TrainingCheckpoints.Newest(paths.Checkpoints) : null;
        var outcome = TrainingOutcome.Completed;
        var watch = new OverfittingWatch();
        foreach (var point in state.EvalLoss) // a resumed run picks up its evaluations, and its best weights on disk
            watch.Observe(point.Step, state.TrainLoss.LastOrDefault(t => t.Step <= point.Step)?.Loss ?? double.NaN, point.Loss);
        var bestFolder = Path.Combine(paths.Checkpoints, BestFolderName);
        if (referenceText is not null && state.Step == 0) state = state with { ReferencePerplexityBefore = ReferencePerplexity() };
        // Gradients exist before the first backward, which then accumulates into them in place instead of
        // allocating them between one layer's temporaries and the next (see RecomputingLayerRunner).
        using (var scope = NewDisposeScope())
            foreach (var (_, p) in weights.Parameters) p.grad ??= zeros_like(p);
        ProcessMemory.ResetPeak();
        while (state.Step < totalSteps)
        {
            if (cancellationToken.IsCancellationRequested) { outcome = TrainingOutcome.Cancelled; break; }
            CpuThreads.Apply();
            double lr = schedule.At(state.Step);
            using var randomAtStepStart = dropoutRandom.get_state();
            var step = AccumulateStep(model, batches, state.Step * accumulation, Math.Min(batches.Count, (state.Step + 1) * accumulation), padId, cancellationToken);
            if (step is not var (loss, tokens))
            {
                // Cancelled between micro-batches: drop the partial step so the checkpoint sits on a step boundary.
                optimizer.ZeroGradients();
                dropoutRandom.set_state(randomAtStepStart);
                outcome = TrainingOutcome.Cancelled;
                break;
            }
            double gradNorm = optimizer.ClipGradients(options.MaxGradNorm);
            optimizer.Step(lr);
            optimizer.ZeroGradients();

            state = state.After(loss, tokens, clock.Elapsed.TotalSeconds);
            double? evalLoss = null;
            if (options.EvalEvery > 0 && state.Step % options.EvalEvery == 0 || state.Step == totalSteps)
                evalLoss = Evaluate(model, padId);
            string? warning = null;
            if (evalLoss is { } e)
            {
                state = state.WithEval(e);
                (bool best, warning) = watch.Observe(state.Step, loss, e);
                if (best && options.Keep == KeptWeights.Best && state.Step < totalSteps)
                    Adapters.AtomicFolder.Write(bestFolder, Adapters.ExistingFolder.Discard, weights.SaveCheckpoint);
            }
            bool stop = options.StopAtLoss is { } threshold && loss < threshold;
            if (options.SaveEvery > 0 && state.Step % options.SaveEvery == 0 && state.Step < totalSteps && !stop)
                lastCheckpoint = TrainingCheckpoints.Save(paths.Checkpoints, state, weights, optimizer, dropoutRandom);

            double seconds = state.TrainSeconds;
            progress?.Report(new TrainingProgress(state.Step, totalSteps, (double)Math.Min(state.Step * accumulation, batches.Count) / batches.MicroBatchesPerEpoch,
                loss, evalLoss, lr, gradNorm, state.Tokens / Math.Max(seconds, 1e-9), TimeSpan.FromSeconds(seconds),
                TimeSpan.FromSeconds(seconds / state.Step * (totalSteps - state.Step)), ProcessMemory.CurrentRssMegabytes(), warning));
            if (stop) { outcome = TrainingOutcome.StoppedAtLoss; break; }
        }

        string output;
        int keptStep = state.Step;
        Insight.ForgettingReport? forgetting = null;
        if (outcome == TrainingOutcome.Cancelled)
        {
            // A cancelled run keeps its progress as a checkpoint to resume from; its output is not written.
            lastCheckpoint = state.Step > 0 ? TrainingCheckpoints.Save(paths.Checkpoints, state, weights, optimizer, dropoutRandom) : lastCheckpoint;
            output = lastCheckpoint ?? "";
        }
        else
        {
            if (options.Keep == KeptWeights.Best && watch.Best is { } best && best.Step != state.Step && Directory.Exists(bestFolder))
            {
                weights.LoadCheckpoint(bestFolder);
                keptStep = best.Step;
            }
            if (state.ReferencePerplexityBefore is { } before)
                forgetting = new Insight.ForgettingReport(Path.GetFileName(options.ReferenceTextPath!), before, ReferencePerplexity());
            output = weights.SaveOutput(paths.Output, options.Overwrite);
            TrainingRecordFiles.Write(output, loaded, options, data, state, weights.Count, clock.Elapsed, keptStep, forgetting);
            if (Directory.Exists(bestFolder)) Directory.Delete(bestFolder, recursive: true);
        }
        return new TrainingResult(outcome, state.Step, state.LastLoss, state.LastEval, state.Tokens / Math.Max(state.TrainSeconds, 1e-9),
            ProcessMemory.PeakRssMegabytes(), weights.Count, output, lastCheckpoint, clock.Elapsed, keptStep, forgetting);
    }

    /// <summary>Forward and backward over micro-batches [from, to); the step's mean loss per target token and its tokens, or null if cancelled.</summary>
    private (double Loss, long Tokens)? AccumulateStep(CausalLM model, TrainingBatches batches, int from, int to, int padId, CancellationToken cancellationToken)
    {
        long targetTotal = Math.Max(1, Enumerable.Range(from, to - from).Sum(batches.TargetCount));
        double lossSum = 0;
        long tokens = 0;
        for (int i = from; i < to; i++)
        {
            if (cancellationToken.IsCancellationRequested) return null;
            using (var scope = NewDisposeScope())
            {
                var (ids, targets, _, count) = batches.Tensors(i, padId, model.Device);
                lossSum += ForwardBackward(model, ids, targets, targetTotal);
                tokens += count;
            }
            ProcessMemory.ReturnFreedMemory();
        }
        return (lossSum / targetTotal, tokens);
    }

    /// <summary>
    /// One micro-batch. The head and loss run on the final hidden states cut off from the graph, so the layers'
    /// graph is walked once with the gradient collected there (recomputed layer by layer with gradient checkpointing).
    /// </summary>
    private double ForwardBackward(CausalLM model, Tensor ids, Tensor targets, long targetTotal)
    {
        using var runner = options.GradientCheckpointing ? new RecomputingLayerRunner() : null;
        var hidden = model.Hidden(ids, null, runner);
        // The forward's last layer left its freed temporaries resident; the loss's chunks would come on top of them.
        ProcessMemory.ReturnFreedMemory();
        var boundary = hidden.detach().requires_grad_(true);
        boundary.grad = zeros_like(boundary); // allocated before the loss's temporaries: see RecomputingLayerRunner
        double lossSum = TokenLosses.Sum(model, boundary, ids, targets, backwardScale: 1.0 / targetTotal);
        if (boundary.grad is { } grad) hidden.backward([grad]);
        runner?.Backward();
        return lossSum;
    }

    // The forgetting measure: windows of the model's context (at most 512), without dropout.
    private double ReferencePerplexity()
    {
        using var noDropout = AdapterDropout.Use(null);
        int context = Math.Min(512, loaded.Config.MaxPositions);
        return Perplexity.Compute(loaded, referenceText!, context, context).Perplexity;
    }

    /// <summary>Mean loss per target token over the evaluation set (null when there is none).</summary>
    private double? Evaluate(CausalLM model, int padId)
    {
        if (data.Eval.Count == 0) return null;
        using var noGrad = no_grad();
        using var noDropout = AdapterDropout.Use(null);
        var batches = TrainingBatches.Sequential(data.Eval, options.MicroBatchSize);
        double sum = 0;
        long count = 0;
        for (int i = 0; i < batches.Count; i++)
        {
            using var scope = NewDisposeScope();
            var (ids, targets, targetCount, _) = batches.Tensors(i, padId, model.Device);
            sum += TokenLosses.Sum(model, model.Hidden(ids), ids, targets);
            count += targetCount;
        }
        return count == 0 ? null : sum / count;
    }
}

/// <summary>Where a run writes: its final output folder and its checkpoints folder.</summary>
public sealed record TrainingPaths(string Output, string Checkpoints);
