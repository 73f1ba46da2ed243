using WebUI.Engine.Training;

namespace WebUI.Engine.Tests.Training;

public sealed class TrainingOptionsTests
{
    private static readonly TrainingOptions Valid = new() { OutputName = "run", Data = new DatasetOptions { DatasetPath = "data.txt" } };

    [Theory]
    [InlineData(4, 16)]
    [InlineData(1, 16)]
    [InlineData(3, 18)]
    [InlineData(32, 32)]
    public void AnUnsetBatchSize_IsTheSmallestMultipleOfTheMicroBatchFromSixteen(int microBatch, int batch)
    {
        var options = (Valid with { MicroBatchSize = microBatch }).Validate();
        Assert.Null(options.BatchSize);
        Assert.Equal(batch, options.EffectiveBatchSize);
        Assert.Equal(batch / microBatch, options.GradientAccumulation);
    }

    [Fact]
    public void ABatchSizeThatIsSet_IsStillCheckedAgainstTheMicroBatch()
    {
        Assert.Equal(8, (Valid with { MicroBatchSize = 4, BatchSize = 8 }).Validate().EffectiveBatchSize);
        var error = Assert.Throws<ArgumentException>(() => (Valid with { MicroBatchSize = 32, BatchSize = 16 }).Validate());
        Assert.Equal("batch size (16) must be a multiple of micro batch size (32)", error.Message);
    }
}
