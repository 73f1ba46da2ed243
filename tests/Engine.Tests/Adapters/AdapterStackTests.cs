using WebUI.Engine.Adapters;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests.Adapters;

/// <summary>Hot-swapping adapters on one base model: exact on/off, additive, weighted, instant, trainable.</summary>
public sealed class AdapterStackTests
{
    private static Tensor Logits(CausalLM model, Tensor ids)
    {
        using var noGrad = no_grad();
        return model.Forward(ids);
    }

    [Theory]
    [InlineData(ModelFamily.Llama)]
    [InlineData(ModelFamily.Gpt2)]
    public void Activating_changes_the_logits_and_deactivating_restores_them_exactly(ModelFamily family)
    {
        using var model = TinyModels.Create(family);
        using var adapter = TestAdapters.Random(model, seed: 1);
        var stack = new AdapterStack(model.Model);
        using var scope = NewDisposeScope();
        var ids = randint(3, 512, [2, 7], dtype: ScalarType.Int64);
        var baseLogits = Logits(model.Model, ids);

        stack.Activate([(adapter, 1.0)]);
        var adapted = Logits(model.Model, ids);
        Assert.Single(stack.Active);
        Assert.True((adapted - baseLogits).abs().max().item<float>() > 1e-3, "the adapter had no visible effect");

        stack.Activate([]);
        Assert.Empty(stack.Active);
        Assert.True(baseLogits.equal(Logits(model.Model, ids)).all().item<bool>(), "deactivating did not restore the base logits");
        Assert.All(model.Model.Projections(), p => Assert.Empty(p.Linear.Branches));

        stack.Activate([(adapter, 1.0)]);
        Assert.True(adapted.equal(Logits(model.Model, ids)).all().item<bool>(), "reactivating did not give the same logits");
    }

    [Fact]
    public void Adapters_of_different_ranks_combine_additively_and_weights_scale_their_effect()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var low = TestAdapters.Random(model, seed: 1, new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["q_proj"] }, "low");
        using var high = TestAdapters.Random(model, seed: 2, new LoraOptions { Rank = 8, Alpha = 4, TargetModules = ["q_proj", "k_proj"] }, "high");
        var stack = new AdapterStack(model.Model);
        var q = model.Model.Projections().Single(p => p.Path == "model.layers.0.self_attn.q_proj").Linear;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(3, 32);
        Tensor Output(params (LoraAdapter, double)[] active) { stack.Activate(active); return q.call(x); }

        var none = Output();
        var lowOnly = Output((low, 1.0)) - none;
        var highOnly = Output((high, 1.0)) - none;
        var both = Output((low, 1.0), (high, 1.0)) - none;
        Assert.True(both.allclose(lowOnly + highOnly, rtol: 1e-5, atol: 1e-6), "effects are not additive");
        Assert.Equal([low.Scale, high.Scale], q.Branches.Select(b => b.Scale));
        Assert.Equal([2L, 8L], q.Branches.Select(b => b.A.shape[0]));

        var weighted = Output((low, 2.5), (high, -0.5)) - none;
        Assert.True(weighted.allclose(2.5 * lowOnly - 0.5 * highOnly, rtol: 1e-5, atol: 1e-6), "weights do not scale the effect");
        Assert.Equal([2.5 * low.Scale, -0.5 * high.Scale], q.Branches.Select(b => b.Scale));

        var v = model.Model.Projections().Single(p => p.Path == "model.layers.0.self_attn.v_proj").Linear;
        var k = model.Model.Projections().Single(p => p.Path == "model.layers.0.self_attn.k_proj").Linear;
        Assert.Empty(v.Branches);
        Assert.Single(k.Branches);
    }

    [Fact]
    public void Switching_adapters_is_a_reference_swap_that_leaves_the_base_weights_alone()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var first = TestAdapters.Random(model, seed: 1);
        using var second = TestAdapters.Random(model, seed: 2);
        var stack = new AdapterStack(model.Model);
        stack.Activate([(first, 1.0)]);
        const string path = "model.layers.0.self_attn.q_proj";
        var q = model.Model.Projections().Single(p => p.Path == path).Linear;
        var baseWeight = q.Weight;

        stack.Activate([(second, 1.0), (first, 0.5)]);

        Assert.Same(baseWeight, q.Weight);
        Assert.Same(second.Weights[path].A, q.Branches[0].A);
        Assert.Same(first.Weights[path].B, q.Branches[1].B);
    }

    [Fact]
    public void Adapters_that_do_not_fit_the_model_are_rejected_before_anything_changes()
    {
        using var llama = TinyModels.Create(ModelFamily.Llama);
        using var gpt2 = TinyModels.Create(ModelFamily.Gpt2);
        using var fits = TestAdapters.Random(llama, seed: 1);
        using var foreign = TestAdapters.Random(gpt2, seed: 1);
        var stack = new AdapterStack(llama.Model);
        stack.Activate([(fits, 1.0)]);

        var error = Assert.Throws<ArgumentException>(() => stack.Activate([(foreign, 1.0)]));
        Assert.Contains("transformer.h.0", error.Message);
        Assert.Throws<ArgumentException>(() => stack.Activate([(fits, double.NaN)]));
        Assert.Same(fits, stack.Active.Single().Adapter);
        Assert.All(llama.Model.Projections().Where(p => p.Path != "lm_head"), p => Assert.Single(p.Linear.Branches));
    }

    [Fact]
    public void Training_gradients_reach_only_the_lora_weights()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var adapter = LoraAdapter.CreateTrainable("train", model.Model, new LoraOptions(), seed: 1, null);
        var stack = new AdapterStack(model.Model);
        stack.Activate([(adapter, 1.0)]);
        Assert.All(model.Model.parameters(), p => Assert.False(p.requires_grad));

        using (var scope = NewDisposeScope())
        {
            var ids = randint(3, 512, [2, 9], dtype: ScalarType.Int64);
            var logits = model.Model.Forward(ids.narrow(1, 0, 8));
            var loss = nn.functional.cross_entropy(logits.reshape(-1, 512), ids.narrow(1, 1, 8).reshape(-1));
            loss.backward();
        }

        Assert.All(model.Model.parameters(), p => Assert.Null(p.grad));
        foreach (var (path, (a, b)) in adapter.Weights)
        {
            // With B = 0 at init, dL/dA = Bᵀ(...) is exactly zero while dL/dB is not: the standard LoRA start.
            Assert.NotNull(a.grad);
            Assert.Equal(0, a.grad.count_nonzero().item<long>());
            Assert.NotNull(b.grad);
            Assert.True(b.grad.abs().sum().item<float>() > 0, $"{path}: B got no gradient");
        }
    }
}
