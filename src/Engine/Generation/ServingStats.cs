namespace WebUI.Engine.Generation;

/// <summary>
/// The scheduler's load now, and its totals since the model was loaded: what /metrics reports, as vLLM's does,
/// so that a dashboard (or a test) can see requests come, wait, run and end.
/// </summary>
public sealed record ServingStats(int Running, int Waiting, long PromptTokens, long GeneratedTokens, IReadOnlyDictionary<FinishReason, long> Finished);
