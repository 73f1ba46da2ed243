using WebUI.Engine.Adapters;
using WebUI.Engine.Insight;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests.Insight;

/// <summary>Update sizes and effective ranks against hand-computed cases.</summary>
public sealed class UpdateNormsTests
{
    [Fact]
    public void A_lora_with_known_factors_has_the_hand_computed_norm_relative_size_and_effective_rank()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var adapter = LoraAdapter.CreateTrainable("known", model.Model, new LoraOptions { Rank = 2, Alpha = 4 }, seed: 1, baseModel: "tiny");
        const string target = "model.layers.1.self_attn.q_proj";
        using (no_grad())
        {
            foreach (var (path, (a, b)) in adapter.Weights)
            {
                a.zero_();
                b.zero_();
                if (path != target) continue;
                // B·A has 3 at (0, 0) and 4 at (1, 1): singular values 4 and 3, Frobenius norm 5; scale alpha/r = 2.
                a[0, 0] = 3; a[1, 1] = 4;
                b[0, 0] = 1; b[1, 1] = 1;
            }
        }

        var norms = UpdateNorms.OfAdapter(model.Model, adapter);

        var q = Assert.Single(norms, n => n.Layer == 1 && n.Module == "self_attn.q_proj");
        Assert.Equal(10, q.Norm, 4);
        var weight = model.Model.Projections().Single(p => p.Path == target).Linear.Weight;
        Assert.Equal(10 / weight.norm().item<float>(), q.Relative!.Value, 4);
        double p4 = 4.0 / 7, p3 = 3.0 / 7;
        Assert.Equal(Math.Exp(-(p4 * Math.Log(p4) + p3 * Math.Log(p3))), q.EffectiveRank!.Value, 3);
        Assert.All(norms.Where(n => n != q), n => { Assert.Equal(0, n.Norm); Assert.Equal(0, n.EffectiveRank); });
        Assert.Equal(adapter.Weights.Count, norms.Count);
    }

    [Fact]
    public void A_full_update_is_weight_after_minus_before_and_a_rank_one_change_has_effective_rank_one()
    {
        using var before = TinyModels.Create(ModelFamily.Llama, seed: 3);
        using var after = TinyModels.Create(ModelFamily.Llama, seed: 3);
        const string changed = "model.layers.0.mlp.down_proj.weight";
        using (no_grad())
        {
            var w = after.Model.get_parameter(changed)!;
            w.add_(outer(ones(w.shape[0]), arange(w.shape[1], dtype: ScalarType.Float32)));
        }

        var norms = UpdateNorms.OfWeights(before.Model, after.Model);

        var down = Assert.Single(norms, n => n.Layer == 0 && n.Module == "mlp.down_proj");
        var expected = outer(ones(32), arange(48, dtype: ScalarType.Float32)).norm().item<float>();
        Assert.Equal(expected, down.Norm, 2);
        Assert.Equal(1, down.EffectiveRank!.Value, 2);
        Assert.All(norms.Where(n => n != down), n => Assert.Equal(0, n.Norm));
        Assert.Contains(norms, n => n.Layer is null && n.Module == "model.embed_tokens");
        Assert.Contains(norms, n => n.Module == "input_layernorm" && n.EffectiveRank is null); // a vector has no rank
    }

    [Fact]
    public void A_tuned_model_of_another_shape_is_refused_naming_the_weight()
    {
        using var tiny = TinyModels.Create(ModelFamily.Llama);
        using var other = RandomModel.Create(TinyModels.Config(ModelFamily.Llama) with { IntermediateSize = 64 }, tiny.Tokenizer, tiny.Source, ComputeDevice.Cpu);

        var error = Assert.Throws<ArgumentException>(() => UpdateNorms.OfWeights(tiny.Model, other.Model));

        Assert.Contains("mlp.gate_proj.weight", error.Message);
        Assert.Contains("not a fine-tune of this base", error.Message);
    }

    [Theory]
    [InlineData(new[] { 1f, 1f, 1f, 1f }, 4)]
    [InlineData(new[] { 5f, 0f, 0f }, 1)]
    [InlineData(new[] { 0f, 0f }, 0)]
    public void Effective_rank_is_the_exponential_of_the_singular_value_entropy(float[] singular, double expected) =>
        Assert.Equal(expected, UpdateNorms.EffectiveRank(tensor(singular)), 6);

    [Theory]
    [InlineData("model.layers.3.self_attn.q_proj", 3, "self_attn.q_proj")]
    [InlineData("transformer.h.11.attn.c_attn", 11, "attn.c_attn")]
    [InlineData("model.embed_tokens", null, "model.embed_tokens")]
    public void Paths_name_their_layer_and_module(string path, int? layer, string module) =>
        Assert.Equal((layer, module), UpdateNorms.Locate(path));
}
