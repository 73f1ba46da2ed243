namespace WebUI.Engine.Training;

/// <summary>Where a run stands after each optimizer step; what a checkpoint stores besides tensors.</summary>
public sealed record TrainingState(int Step, long Tokens, double TrainSeconds, IReadOnlyList<LossPoint> TrainLoss, IReadOnlyList<LossPoint> EvalLoss)
{
    public static TrainingState Fresh() => new(0, 0, 0, [], []);

    public double LastLoss => TrainLoss.Count > 0 ? TrainLoss[^1].Loss : double.NaN;
    public double? LastEval => EvalLoss.Count > 0 ? EvalLoss[^1].Loss : null;

    /// <summary>The state after one more step; <paramref name="secondsSoFar"/> counts this session, added to earlier sessions' time.</summary>
    public TrainingState After(double loss, long tokens, double secondsSoFar) =>
        this with { Step = Step + 1, Tokens = Tokens + tokens, TrainSeconds = SessionStart + secondsSoFar, TrainLoss = [.. TrainLoss, new LossPoint(Step + 1, loss, Tokens + tokens)] };

    public TrainingState WithEval(double loss) => this with { EvalLoss = [.. EvalLoss, new LossPoint(Step, loss, Tokens)] };

    /// <summary>The reference text's perplexity before the first step (kept for a resumed run, whose weights have moved).</summary>
    public double? ReferencePerplexityBefore { get; init; }

    /// <summary>Seconds spent by the sessions before this one (a resumed run continues the clock).</summary>
    public double SessionStart { get; init; }
}
