namespace WebUI.Engine.Generation;

/// <summary>
/// What <see cref="StopStringMatcher.Push"/> found: text safe to show now, and whether a stop string was reached
/// (then <paramref name="Emit"/> ends just before it and the generation should end).
/// </summary>
public readonly record struct StopScan(string Emit, bool Stopped);
