namespace WebUI.Engine.Generation;

/// <summary>How to pick tokens. Temperature 0 means greedy. Immutable; <see cref="Validate"/> rejects nonsense.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 256;
    public float Temperature { get; init; } = 0.7f;
    /// <summary>0 disables top-k.</summary>
    public int TopK { get; init; } = 0;
    /// <summary>1 disables nucleus sampling.</summary>
    public float TopP { get; init; } = 1f;
    /// <summary>0 disables min-p.</summary>
    public float MinP { get; init; } = 0f;
    /// <summary>1 disables it; applied to every token already in prompt or output (CTRL-style, as in HF transformers).</summary>
    public float RepetitionPenalty { get; init; } = 1f;
    /// <summary>OpenAI's: subtracted once from the logit of every token already generated (not the prompt's). 0 disables it.</summary>
    public float PresencePenalty { get; init; } = 0f;
    /// <summary>OpenAI's: subtracted from a token's logit once per time it was generated. 0 disables it.</summary>
    public float FrequencyPenalty { get; init; } = 0f;
    /// <summary>Null: no log-probabilities. N: each token's log-probability and the N most likely alternatives (0..20).</summary>
    public int? Logprobs { get; init; }
    /// <summary>Null or negative: a random seed.</summary>
    public long? Seed { get; init; }
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>Stop at the tokenizer's EOS ids (off only for benchmarks).</summary>
    public bool StopAtEos { get; init; } = true;

    public static GenerationOptions Greedy(int maxNewTokens = 256) => new() { Temperature = 0f, MaxNewTokens = maxNewTokens };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public GenerationOptions Validate()
    {
        if (MaxNewTokens < 1) throw new ArgumentException($"max new tokens must be at least 1 (got {MaxNewTokens})");
        if (!(Temperature >= 0f) || float.IsInfinity(Temperature)) throw new ArgumentException($"temperature must be 0 (greedy) or positive (got {Temperature})");
        if (TopK < 0) throw new ArgumentException($"top-k must be 0 (off) or positive (got {TopK})");
        if (!(TopP > 0f && TopP <= 1f)) throw new ArgumentException($"top-p must be in (0, 1] (got {TopP})");
        if (!(MinP >= 0f && MinP < 1f)) throw new ArgumentException($"min-p must be in [0, 1) (got {MinP})");
        if (!(RepetitionPenalty > 0f) || float.IsInfinity(RepetitionPenalty)) throw new ArgumentException($"repetition penalty must be positive (got {RepetitionPenalty})");
        if (!(PresencePenalty >= -2f && PresencePenalty <= 2f)) throw new ArgumentException($"presence penalty must be in [-2, 2] (got {PresencePenalty})");
        if (!(FrequencyPenalty >= -2f && FrequencyPenalty <= 2f)) throw new ArgumentException($"frequency penalty must be in [-2, 2] (got {FrequencyPenalty})");
        if (Logprobs is < 0 or > 20) throw new ArgumentException($"top logprobs must be 0..20 (got {Logprobs})");
        if (StopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("stop strings must not be empty");
        return this;
    }
}
