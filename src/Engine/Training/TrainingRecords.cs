using System.Globalization;

namespace WebUI.Engine.Training;

/// <summary>One optimizer step as reported to watchers; <see cref="EvalLoss"/> is set on steps that evaluated.</summary>
public sealed record TrainingProgress(
    int Step, int TotalSteps, double Epoch, double TrainLoss, double? EvalLoss, double LearningRate, double GradNorm,
    double TokensPerSecond, TimeSpan Elapsed, TimeSpan Remaining, double MemoryMegabytes, string? Warning = null)
{
    /// <summary>One log line, as the CLI prints it and the Training tab's log shows it.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"step {Step}/{TotalSteps} epoch {Epoch:F2} loss {TrainLoss:F4}{(EvalLoss is { } e ? $" eval {e:F4}" : "")} lr {LearningRate:G3} grad_norm {GradNorm:F3} {TokensPerSecond:F0} tokens/s eta {Remaining:hh\\:mm\\:ss} rss {MemoryMegabytes:F0} MB{(Warning is null ? "" : $"\nwarning: {Warning}")}");
}

public enum TrainingOutcome { Completed, StoppedAtLoss, Cancelled }

/// <summary>What a finished run produced; the CLI prints it as its JSON line.</summary>
public sealed record TrainingResult(
    TrainingOutcome Outcome, int Steps, double TrainLoss, double? EvalLoss, double TokensPerSecond, double PeakMemoryMegabytes,
    long TrainableParameters, string OutputPath, string? CheckpointPath, TimeSpan Duration, int? KeptStep = null, Insight.ForgettingReport? Forgetting = null);

/// <summary>A point of a loss curve, as stored in training_log.json and checkpoints: the step, and the tokens trained on by then
/// (null where a log does not say, as older runs' and some imported ones' do not), so runs of other batch sizes compare by data seen.</summary>
public sealed record LossPoint(int Step, double Loss, long? Tokens = null);
