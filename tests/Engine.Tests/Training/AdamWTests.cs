using TorchSharp;
using WebUI.Engine.Training;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests.Training;

/// <summary>The engine's AdamW against libtorch's torch.optim.AdamW on the same parameters and gradients.</summary>
public sealed class AdamWTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void FiveSteps_MatchLibtorchAdamW(double weightDecay)
    {
        const double lr = 1e-2, beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(7);
        var start = randn(new long[] { 3, 4 }, dtype: float64, generator: generator);
        var gradients = Enumerable.Range(0, 5).Select(_ => randn(new long[] { 3, 4 }, dtype: float64, generator: generator)).ToList();

        var ours = start.clone().requires_grad_(true);
        var optimizer = new AdamW([("w", ours)], weightDecay, beta1, beta2, eps);
        var theirs = new TorchSharp.Modules.Parameter(start.clone());
        var reference = torch.optim.AdamW([theirs], lr, beta1, beta2, eps, weightDecay);

        foreach (var g in gradients)
        {
            // The gradient of sum(w * g) is g.
            (ours * g).sum().backward();
            optimizer.Step(lr);
            optimizer.ZeroGradients();
            reference.zero_grad();
            (theirs * g).sum().backward();
            reference.step();
            Assert.True(ours.detach().allclose(theirs.detach(), rtol: 0, atol: 1e-6),
                $"after step {optimizer.Steps}: max diff {(ours - theirs).abs().max().item<double>()}");
        }
        Assert.False(ours.detach().allclose(start, rtol: 0, atol: 1e-3)); // it did move
    }
}
