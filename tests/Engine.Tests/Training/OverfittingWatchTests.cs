using WebUI.Engine.Training;

namespace WebUI.Engine.Tests.Training;

public sealed class OverfittingWatchTests
{
    [Fact]
    public void The_best_evaluation_is_tracked_and_three_rises_while_train_loss_falls_warn_naming_the_step()
    {
        var watch = new OverfittingWatch();
        Assert.Equal((true, null), watch.Observe(10, 2.0, 1.9));
        Assert.Equal((true, null), watch.Observe(20, 1.8, 1.7));
        Assert.Equal((false, null), watch.Observe(30, 1.6, 1.75));
        Assert.Equal((false, null), watch.Observe(40, 1.4, 1.8));
        var (best, warning) = watch.Observe(50, 1.2, 1.85);

        Assert.False(best);
        Assert.Equal((20, 1.7), watch.Best);
        Assert.NotNull(warning);
        Assert.Contains("since step 20", warning);
        Assert.Contains("best weights (step 20)", warning);
    }

    [Fact]
    public void Eval_loss_that_rises_with_train_loss_or_dips_between_rises_is_no_warning()
    {
        var together = new OverfittingWatch();
        foreach (var (step, train, eval) in new[] { (1, 1.0, 1.0), (2, 1.1, 1.1), (3, 1.2, 1.2), (4, 1.3, 1.3) })
            Assert.Null(together.Observe(step, train, eval).Warning); // diverging, not overfitting

        var dipping = new OverfittingWatch();
        foreach (var (step, train, eval) in new[] { (1, 2.0, 1.0), (2, 1.8, 1.1), (3, 1.6, 1.05), (4, 1.4, 1.2), (5, 1.2, 1.3) })
            Assert.Null(dipping.Observe(step, train, eval).Warning);
    }
}
