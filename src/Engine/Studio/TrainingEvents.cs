using WebUI.Engine.Training;

namespace WebUI.Engine.Studio;

public enum TrainingEventKind { Started, Progress, Log, Finished, Failed }

/// <summary>One thing that happened to the training job; every watcher (page, SignalR client) sees the same stream.</summary>
public sealed record TrainingEvent(TrainingEventKind Kind, string JobName, DateTime Time, TrainingProgress? Progress = null,
    TrainingResult? Result = null, string? Message = null);

/// <summary>The job as a late watcher needs it: everything reported so far, so a new tab shows the live state.</summary>
public sealed record TrainingSnapshot(string? JobName, bool Running, TrainingOptions? Options, IReadOnlyList<TrainingProgress> History,
    IReadOnlyList<string> Log, TrainingResult? Result, string? Error);
