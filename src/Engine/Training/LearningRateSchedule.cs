namespace WebUI.Engine.Training;

public enum SchedulerKind { Constant, ConstantWithWarmup, Linear, Cosine }

/// <summary>The learning rate at each optimizer step, as transformers' schedulers define them (warmup, then the shape).</summary>
public sealed record LearningRateSchedule(SchedulerKind Kind, double PeakRate, int WarmupSteps, int TotalSteps)
{
    /// <summary>Rate for the step about to be taken (0-based, as transformers counts: step 0 of a warmup has rate 0).</summary>
    public double At(int step)
    {
        if (Kind != SchedulerKind.Constant && step < WarmupSteps) return PeakRate * step / WarmupSteps;
        double progress = TotalSteps <= WarmupSteps ? 1 : (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return Kind switch
        {
            SchedulerKind.Linear => PeakRate * Math.Max(0, 1 - progress),
            SchedulerKind.Cosine => PeakRate * 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp(progress, 0, 1))),
            _ => PeakRate,
        };
    }
}
