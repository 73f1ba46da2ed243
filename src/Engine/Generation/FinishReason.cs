namespace WebUI.Engine.Generation;

/// <summary>Why a generation ended.</summary>
public enum FinishReason
{
    /// <summary>Reached <see cref="GenerationOptions.MaxNewTokens"/>.</summary>
    Length,
    /// <summary>The model produced one of the tokenizer's end-of-sequence ids.</summary>
    EndOfSequence,
    /// <summary>The decoded text hit one of <see cref="GenerationOptions.StopStrings"/>.</summary>
    StopString,
    /// <summary>The caller's cancellation token fired.</summary>
    Cancelled,
}
