namespace WebUI.Engine.Generation;

/// <summary>
/// Timings of one generation. <paramref name="PrefillSeconds"/> runs from the start until the first generated token
/// is known (the prompt's forward pass plus its sampling), so it is also the time to first token.
/// <paramref name="DecodeSeconds"/> covers the rest: producing tokens 2..<paramref name="GeneratedTokens"/>.
/// </summary>
public sealed record GenerationStats(int PromptTokens, int GeneratedTokens, double PrefillSeconds, double DecodeSeconds)
{
    /// <summary>Prompt tokens over <see cref="PrefillSeconds"/>; 0 when no time was measured.</summary>
    public double PrefillTokensPerSecond => PrefillSeconds > 0 ? PromptTokens / PrefillSeconds : 0;

    /// <summary>
    /// Tokens after the first over <see cref="DecodeSeconds"/>: the first token is paid for by prefill, so counting it
    /// here would flatter short generations. 0 when fewer than two tokens were generated.
    /// </summary>
    public double DecodeTokensPerSecond => GeneratedTokens > 1 && DecodeSeconds > 0 ? (GeneratedTokens - 1) / DecodeSeconds : 0;

    public TimeSpan TimeToFirstToken => TimeSpan.FromSeconds(PrefillSeconds);
}
