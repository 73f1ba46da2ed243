using WebUI.Engine.Training;

namespace WebUI.Engine.Tests.Training;

/// <summary>
/// Reference values from transformers' get_*_schedule_with_warmup (0-based step, as the scheduler sees it before the
/// first optimizer.step()): warmup lr*step/warmup; cosine lr*0.5*(1+cos(pi*progress)); linear lr*max(0,(total-step)/(total-warmup)).
/// Peak 2e-4, warmup 4, total 12.
/// </summary>
public sealed class LearningRateScheduleTests
{
    private const double Peak = 2e-4;

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(1, 5e-5)]
    [InlineData(2, 1e-4)]
    [InlineData(3, 1.5e-4)]
    [InlineData(4, 2e-4)]
    [InlineData(6, 1.7071067811865476e-4)]
    [InlineData(8, 1e-4)]
    [InlineData(10, 2.9289321881345245e-5)]
    [InlineData(12, 0.0)]
    public void Cosine_MatchesTransformers(int step, double expected) =>
        Assert.Equal(expected, new LearningRateSchedule(SchedulerKind.Cosine, Peak, 4, 12).At(step), 1e-12);

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(1, 5e-5)]
    [InlineData(3, 1.5e-4)]
    [InlineData(4, 2e-4)]
    [InlineData(6, 1.5e-4)]
    [InlineData(8, 1e-4)]
    [InlineData(10, 5e-5)]
    [InlineData(12, 0.0)]
    public void Linear_MatchesTransformers(int step, double expected) =>
        Assert.Equal(expected, new LearningRateSchedule(SchedulerKind.Linear, Peak, 4, 12).At(step), 1e-12);

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(2, 1e-4)]
    [InlineData(4, 2e-4)]
    [InlineData(11, 2e-4)]
    public void ConstantWithWarmup_MatchesTransformers(int step, double expected) =>
        Assert.Equal(expected, new LearningRateSchedule(SchedulerKind.ConstantWithWarmup, Peak, 4, 12).At(step), 1e-12);

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(11)]
    public void Constant_IgnoresWarmup(int step) =>
        Assert.Equal(Peak, new LearningRateSchedule(SchedulerKind.Constant, Peak, 4, 12).At(step), 1e-12);

    [Theory]
    [InlineData(0, 2e-4)]
    [InlineData(5, 1e-4)]
    public void NoWarmup_StartsAtThePeak(int step, double expected) =>
        Assert.Equal(expected, new LearningRateSchedule(SchedulerKind.Linear, Peak, 0, 10).At(step), 1e-12);
}
