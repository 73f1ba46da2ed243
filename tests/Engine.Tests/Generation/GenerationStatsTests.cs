using WebUI.Engine.Generation;

namespace WebUI.Engine.Tests.Generation;

public sealed class GenerationStatsTests
{
    [Fact]
    public void Rates_count_prompt_over_prefill_and_tokens_after_the_first_over_decode()
    {
        var stats = new GenerationStats(PromptTokens: 500, GeneratedTokens: 101, PrefillSeconds: 0.25, DecodeSeconds: 2);

        Assert.Equal(2000, stats.PrefillTokensPerSecond, precision: 6);
        Assert.Equal(50, stats.DecodeTokensPerSecond, precision: 6);
        Assert.Equal(TimeSpan.FromMilliseconds(250), stats.TimeToFirstToken);
    }

    [Fact]
    public void Single_token_generation_has_no_decode_rate()
    {
        var stats = new GenerationStats(PromptTokens: 10, GeneratedTokens: 1, PrefillSeconds: 0.1, DecodeSeconds: 0);

        Assert.Equal(0, stats.DecodeTokensPerSecond);
    }
}
