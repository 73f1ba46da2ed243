using WebUI.Engine.Modeling;
using WebUI.Engine.Training;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests;

/// <summary>Recomputing the layers in the backward pass is a memory trade only: every gradient is the plain pass's.</summary>
public sealed class GradientCheckpointingTests
{
    [Theory]
    [InlineData(ModelFamily.Llama)]
    [InlineData(ModelFamily.Qwen2)]
    [InlineData(ModelFamily.Gpt2)]
    public void Gradients_with_recomputed_layers_equal_those_of_a_plain_backward_pass(ModelFamily family)
    {
        using var loaded = TinyModels.Create(family);
        var model = loaded.Model;
        using var ids = tensor(new long[] { 1, 5, 9, 33, 70, 2, 11, 4, 1, 8, 300, 17 }).reshape(2, 6);
        using var targets = ones(2, 6, ScalarType.Bool); // every next token is trained
        foreach (var p in model.parameters()) p.requires_grad_(true); // full fine-tuning: every weight gets a gradient

        var plain = Gradients(model, ids, targets, runner: null);
        using var runner = new RecomputingLayerRunner();
        var recomputed = Gradients(model, ids, targets, runner);

        Assert.Equal(plain.Keys.Order(), recomputed.Keys.Order());
        Assert.NotEmpty(plain);
        foreach (var (name, grad) in plain)
        {
            Assert.True(grad.abs().max().item<float>() > 0 || name.Contains("bias"), $"{name}: no gradient reached it");
            Assert.True(allclose(grad, recomputed[name], rtol: 1e-4, atol: 1e-6), $"{name}: max difference {(grad - recomputed[name]).abs().max().item<float>()}");
        }
    }

    // As the trainer runs a micro-batch: the head's loss on the hidden states cut off from the graph, then the layers.
    private static Dictionary<string, Tensor> Gradients(CausalLM model, Tensor ids, Tensor targets, RecomputingLayerRunner? runner)
    {
        model.zero_grad();
        var hidden = model.Hidden(ids, null, runner);
        var boundary = hidden.detach().requires_grad_(true);
        TokenLosses.Sum(model, boundary, ids, targets, backwardScale: 1.0 / 10);
        hidden.backward([boundary.grad!]);
        runner?.Backward();
        return model.named_parameters().Where(p => p.parameter.grad is not null)
            .ToDictionary(p => p.name, p => p.parameter.grad!.detach().clone());
    }
}
