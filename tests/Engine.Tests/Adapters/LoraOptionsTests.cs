using WebUI.Engine.Adapters;

namespace WebUI.Engine.Tests.Adapters;

public sealed class LoraOptionsTests
{
    [Fact]
    public void Defaults_are_valid_and_match_common_practice()
    {
        var options = new LoraOptions().Validate();
        Assert.Equal((8, 16.0, 0.05, null), (options.Rank, options.Alpha, options.Dropout, options.TargetModules));
    }

    public static TheoryData<LoraOptions, string> Invalid => new()
    {
        { new LoraOptions { Rank = 0 }, "rank" },
        { new LoraOptions { Rank = 2049 }, "rank" },
        { new LoraOptions { Alpha = 0 }, "alpha" },
        { new LoraOptions { Alpha = double.NaN }, "alpha" },
        { new LoraOptions { Dropout = 1 }, "dropout" },
        { new LoraOptions { Dropout = -0.1 }, "dropout" },
        { new LoraOptions { TargetModules = [] }, "target modules" },
        { new LoraOptions { TargetModules = ["q_proj", " "] }, "target modules" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Out_of_range_options_are_rejected_naming_the_option(LoraOptions options, string option)
    {
        var error = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.Contains(option, error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
