using WebUI.Engine.Generation;

namespace WebUI.Engine.Tests.Generation;

public sealed class GenerationOptionsTests
{
    public static TheoryData<GenerationOptions, string> BadOptions => new()
    {
        { new GenerationOptions { Temperature = -0.1f }, "temperature" },
        { new GenerationOptions { Temperature = float.NaN }, "temperature" },
        { new GenerationOptions { TopP = 0f }, "top-p" },
        { new GenerationOptions { TopP = 1.01f }, "top-p" },
        { new GenerationOptions { MinP = 1f }, "min-p" },
        { new GenerationOptions { TopK = -1 }, "top-k" },
        { new GenerationOptions { MaxNewTokens = 0 }, "max new tokens" },
        { new GenerationOptions { RepetitionPenalty = 0f }, "repetition penalty" },
        { new GenerationOptions { StopStrings = ["###", ""] }, "stop strings" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Validate_rejects_a_bad_value_naming_the_option(GenerationOptions options, string optionName)
    {
        var error = Assert.Throws<ArgumentException>(() => options.Validate());

        Assert.Contains(optionName, error.Message);
    }

    [Fact]
    public void Defaults_and_greedy_pass_validation()
    {
        var defaults = new GenerationOptions();
        var greedy = GenerationOptions.Greedy(maxNewTokens: 1);

        Assert.Same(defaults, defaults.Validate());
        Assert.Same(greedy, greedy.Validate());
    }
}
