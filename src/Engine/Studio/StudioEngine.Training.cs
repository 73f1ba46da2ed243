using Microsoft.Extensions.Logging;
using System.Globalization;
using WebUI.Engine.Loading;
using WebUI.Engine.Training;

namespace WebUI.Engine.Studio;

/// <summary>
/// One training job at a time, on its own torch thread. LoRA trains beside the frozen base, so chat keeps working;
/// full fine-tuning changes the loaded weights, so chat answers "busy" until it ends.
/// </summary>
public sealed partial class StudioEngine
{
    private readonly TorchWorker trainingWorker = new("training");
    private readonly object trainingLock = new();
    private CancellationTokenSource? trainingCancel;
    private Task? trainingTask;
    private TrainingSnapshot snapshot = new(null, false, null, [], [], null, null);

    /// <summary>Raised on the training thread for every event; handlers must not block.</summary>
    public event Action<TrainingEvent>? TrainingEvents;

    public TrainingSnapshot Training => snapshot;
    public bool IsTraining => snapshot.Running;

    /// <summary>Builds the dataset with the loaded model's tokenizer and reports rows, lengths, problems and samples.</summary>
    public Task<DatasetReport> CheckDatasetAsync(DatasetOptions options, CancellationToken cancellationToken = default)
    {
        var tokenizer = loaded?.Tokenizer ?? throw new InvalidOperationException("load a model first: the dataset check counts tokens with its tokenizer");
        options.Validate();
        return Task.Run(() => DatasetBuilder.Build(options, tokenizer).Report, cancellationToken);
    }

    /// <summary>
    /// Starts a job; throws at once (busy, no model, bad options, bad dataset, name taken) so the caller can show why.
    /// Serialized with loading and adapter changes; full fine-tuning first lets running replies finish and refuses
    /// new ones, so no reply reads weights that AdamW is changing.
    /// </summary>
    public async Task StartTrainingAsync(TrainingOptions options)
    {
        try { await StartUnderGateAsync(options); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("training '{Job}' refused: {Reason}", options.OutputName, e.Message);
            throw;
        }
    }

    private async Task StartUnderGateAsync(TrainingOptions options)
    {
        options.Validate();
        await modelGate.WaitAsync();
        try
        {
            var model = loaded ?? throw new InvalidOperationException("no model is loaded: load a base model on the Model tab first");
            lock (trainingLock)
            {
                if (snapshot.Running) throw new InvalidOperationException($"busy: '{snapshot.JobName}' is training; stop it or wait for it to finish");
                snapshot = new TrainingSnapshot(options.OutputName, true, options, [], [], null, null);
            }
            var cancel = trainingCancel = new CancellationTokenSource();
            TrainingRun run;
            try
            {
                if (options.Method == TrainingMethod.Full)
                    await scheduler!.CloseAndDrainAsync($"full fine-tuning of '{options.OutputName}' is changing the model's weights; chat is back when it ends");
                run = await trainingWorker.Run(() => TrainingRun.Prepare(model, options, Paths));
            }
            catch
            {
                snapshot = snapshot with { Running = false };
                scheduler?.Reopen();
                throw;
            }
            Publish(new TrainingEvent(TrainingEventKind.Started, options.OutputName, DateTime.Now,
                Message: $"{run.Data.Train.Count} training examples, {run.Data.Eval.Count} evaluation examples"));
            trainingTask = trainingWorker.Run(() => RunJob(run, model, options, cancel.Token));
        }
        finally
        {
            modelGate.Release();
            RaiseChanged();
        }
    }

    public void StopTraining() => trainingCancel?.Cancel();

    private void RunJob(TrainingRun run, LoadedModel model, TrainingOptions options, CancellationToken cancellationToken)
    {
        try
        {
            var result = run.Trainer.Run(new SyncProgress<TrainingProgress>(p => Publish(new TrainingEvent(TrainingEventKind.Progress, options.OutputName, DateTime.Now, p))), cancellationToken);
            var message = result.Outcome switch
            {
                TrainingOutcome.Cancelled => $"Stopped at step {result.Steps}; checkpoint saved, resume to continue.",
                TrainingOutcome.StoppedAtLoss => $"Reached the stop loss at step {result.Steps}; saved to {Paths.Shown(result.OutputPath)}.",
                _ => $"Training finished: {result.Steps} steps, loss {result.TrainLoss.ToString("F4", CultureInfo.InvariantCulture)}; saved to {Paths.Shown(result.OutputPath)}.",
            };
            if (options.Method == TrainingMethod.Full && result.Outcome != TrainingOutcome.Cancelled)
                Model = Model! with { Name = options.OutputName, Path = result.OutputPath };
            snapshot = snapshot with { Running = false, Result = result };
            Publish(new TrainingEvent(TrainingEventKind.Finished, options.OutputName, DateTime.Now, Result: result, Message: message));
        }
        catch (Exception e)
        {
            logger.LogError(e, "training '{Job}' failed", options.OutputName);
            snapshot = snapshot with { Running = false, Error = e.Message };
            Publish(new TrainingEvent(TrainingEventKind.Failed, options.OutputName, DateTime.Now, Message: e.Message));
        }
        finally
        {
            if (options.Method == TrainingMethod.Full && snapshot.Result?.Outcome is null or TrainingOutcome.Cancelled)
                RestoreBaseAfterFullTraining(model);
            else if (options.Method == TrainingMethod.Full)
            {
                // The weights moved, so an int8 copy of them is stale: made again from the trained ones.
                if (model.Model.Int8Inference) inference.Run(() => model.Model.UseInt8Inference(true)).Wait();
                scheduler?.Reopen();
            }
            RaiseChanged();
        }
    }

    // Full fine-tuning changed the weights in place; an interrupted run leaves them half-trained, so reload the base
    // (under the gate, like any other model change).
    private void RestoreBaseAfterFullTraining(LoadedModel model)
    {
        modelGate.Wait();
        try
        {
            var reloaded = ModelLoader.Load(model.Source.Path, model.Device);
            ReplaceModelAsync(reloaded).Wait();
        }
        finally
        {
            modelGate.Release();
        }
    }

    private void Publish(TrainingEvent e)
    {
        lock (trainingLock)
        {
            snapshot = e.Kind switch
            {
                TrainingEventKind.Progress => snapshot with { History = [.. snapshot.History, e.Progress!], Log = WithLine(e.Progress!.Describe()) },
                _ => snapshot with { Log = WithLine(e.Message ?? e.Kind.ToString()) },
            };
        }
        Raise(TrainingEvents, handler => handler(e));
    }

    private IReadOnlyList<string> WithLine(string line) => [.. snapshot.Log.TakeLast(199), $"{DateTime.Now:HH:mm:ss} {line}"];

    private void ThrowIfTrainingOwnsModel()
    {
        if (snapshot is { Running: true, Options.Method: TrainingMethod.Full })
            throw new InvalidOperationException($"busy: full fine-tuning of '{snapshot.JobName}' is changing the model's weights; chat is back when it ends");
    }

    private void ThrowIfTraining()
    {
        if (snapshot.Running) throw new InvalidOperationException($"busy: '{snapshot.JobName}' is training on the loaded model; stop it first");
    }

    private void DisposeTraining()
    {
        trainingCancel?.Cancel();
        try { trainingTask?.Wait(); }
        catch (AggregateException e) { logger.LogError(e.InnerException, "the training job failed while the engine shut down"); }
        trainingWorker.Dispose();
    }
}
