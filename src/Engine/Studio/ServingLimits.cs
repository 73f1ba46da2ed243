using WebUI.Engine.Generation;

namespace WebUI.Engine.Studio;

/// <summary>The serving flags: --max-concurrent running sequences, --max-queue waiting requests, --max-loras adapters kept read.</summary>
public sealed record ServingLimits(int MaxConcurrent = 16, int MaxQueue = 64, int MaxLoras = 8)
{
    public ServingLimits Validate()
    {
        Scheduler.Validate();
        if (MaxLoras < 1) throw new ArgumentException($"--max-loras must be at least 1 (got {MaxLoras})");
        return this;
    }

    public SchedulerLimits Scheduler => new(MaxConcurrent, MaxQueue);
}
