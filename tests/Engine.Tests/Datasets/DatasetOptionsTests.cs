using WebUI.Engine.Training;

namespace WebUI.Engine.Tests.Datasets;

public sealed class DatasetOptionsTests
{
    private static readonly DatasetOptions Valid = new() { DatasetPath = "data.txt" };

    public static TheoryData<DatasetOptions, string> Invalid => new()
    {
        { Valid with { DatasetPath = " " }, "DatasetPath" },
        { Valid with { Cutoff = 3 }, "Cutoff" },
        { Valid with { Overlap = 256 }, "Overlap" },
        { Valid with { Overlap = -1 }, "Overlap" },
        { Valid with { EvalFraction = 1 }, "EvalFraction" },
        { Valid with { EvalFraction = double.NaN }, "EvalFraction" },
        { Valid with { EvalFraction = 0.1, EvalDatasetPath = "eval.txt" }, "EvalFraction" },
        { Valid with { FormatPath = "" }, "FormatPath" },
        { Valid with { HardCut = null! }, "HardCut" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_NamesTheInvalidOption(DatasetOptions options, string name) =>
        Assert.Equal(name, Assert.ThrowsAny<ArgumentException>(() => options.Validate()).ParamName);

    [Fact]
    public void Validate_ReturnsValidOptions() => Assert.Same(Valid, Valid.Validate());

    [Fact]
    public void AnUnsetOverlap_IsHalfTheCutoff_SoASmallCutoffValidates()
    {
        var small = (Valid with { Cutoff = 128 }).Validate();
        Assert.Null(small.Overlap);
        Assert.Equal(64, small.EffectiveOverlap);
        Assert.Equal(128, Valid.EffectiveOverlap);
    }

    [Fact]
    public void AnOverlapThatIsSet_IsUsedAsIs_AndStillCheckedAgainstTheCutoff()
    {
        Assert.Equal(0, (Valid with { Cutoff = 128, Overlap = 0 }).Validate().EffectiveOverlap);
        var error = Assert.Throws<ArgumentException>(() => (Valid with { Cutoff = 128, Overlap = 128 }).Validate());
        Assert.StartsWith("Overlap Length must be 0..127 (less than Cutoff Length 128), not 128", error.Message);
    }
}
