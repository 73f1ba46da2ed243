using WebUI.Engine.Adapters;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests.Adapters;

public sealed class LoraAdapterCreationTests
{
    private static readonly string[] LlamaProjections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    private static HashSet<string> LeafNames(LoraAdapter adapter) => [.. adapter.Weights.Keys.Select(k => k[(k.LastIndexOf('.') + 1)..])];

    [Fact]
    public void Llama_default_targets_are_all_seven_projections_but_not_the_output_head()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        Assert.Contains(model.Model.Projections(), p => p.Path == "lm_head");
        using var adapter = LoraAdapter.CreateTrainable("a", model.Model, new LoraOptions(), seed: 1, "tiny");

        Assert.Equal(LlamaProjections.ToHashSet(), LeafNames(adapter));
        Assert.Equal(7 * 2, adapter.Weights.Count);
        Assert.DoesNotContain("lm_head", adapter.Weights.Keys);
        Assert.Equal(LlamaProjections, adapter.Config.TargetModules);
    }

    [Fact]
    public void Gpt2_default_targets_are_its_conv1d_projections()
    {
        using var model = TinyModels.Create(ModelFamily.Gpt2);
        using var adapter = LoraAdapter.CreateTrainable("a", model.Model, new LoraOptions(), seed: 1, null);

        Assert.Equal(["c_attn", "c_proj", "c_fc"], adapter.Config.TargetModules);
        Assert.Equal(2 * 4, adapter.Weights.Count);  // attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj per layer
        var (a, b) = adapter.Weights["transformer.h.0.attn.c_attn"];
        Assert.Equal([8L, 32], a.shape);
        Assert.Equal([96L, 8], b.shape);
    }

    [Fact]
    public void Named_targets_select_only_those_projections()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var adapter = LoraAdapter.CreateTrainable("a", model.Model, new LoraOptions { TargetModules = ["q_proj", "v_proj"] }, 1, null);
        Assert.Equal(["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"],
            adapter.Weights.Keys.Order());
    }

    [Fact]
    public void Unknown_targets_are_named_with_the_models_available_layers()
    {
        using var model = TinyModels.Create(ModelFamily.Gpt2);
        var error = Assert.Throws<ArgumentException>(() =>
            LoraAdapter.CreateTrainable("a", model.Model, new LoraOptions { TargetModules = ["q_proj", "c_attn"] }, 1, null));
        Assert.Contains("q_proj", error.Message);
        Assert.Contains("c_attn, c_proj, c_fc", error.Message);
    }

    [Fact]
    public void New_adapter_is_peft_initialised_trainable_and_reproducible_from_its_seed()
    {
        using var model = TinyModels.Create(ModelFamily.Qwen2);
        using var adapter = LoraAdapter.CreateTrainable("a", model.Model, new LoraOptions { Rank = 4, Alpha = 8 }, seed: 5, null);
        using var same = LoraAdapter.CreateTrainable("b", model.Model, new LoraOptions { Rank = 4, Alpha = 8 }, seed: 5, null);
        using var other = LoraAdapter.CreateTrainable("c", model.Model, new LoraOptions { Rank = 4, Alpha = 8 }, seed: 6, null);

        Assert.Equal(2.0, adapter.Scale);
        Assert.Equal(2 * adapter.Weights.Count, adapter.Parameters().Count());
        Assert.All(adapter.Parameters(), p => Assert.True(p.requires_grad));
        foreach (var (path, (a, b)) in adapter.Weights)
        {
            Assert.Equal(ScalarType.Float32, a.dtype);
            Assert.Equal(0, b.count_nonzero().item<long>());
            // kaiming_uniform(a=√5) on [r, in]: U(±1/√in), and not degenerate.
            double bound = 1 / Math.Sqrt(a.shape[1]);
            Assert.True(a.abs().max().item<float>() <= bound);
            Assert.True(a.std().item<float>() > bound / 4);
            Assert.True(TestAdapters.Identical(a, same.Weights[path].A));
            Assert.False(TestAdapters.Identical(a, other.Weights[path].A));
        }
    }

    [Fact]
    public void Adapter_tensors_outlive_a_dispose_scope_open_around_creating_or_loading_them()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        var dir = Path.Combine(TinyModels.TempDir(), "scoped");
        LoraAdapter created, loaded;
        using (NewDisposeScope())
        {
            created = LoraAdapter.CreateTrainable("a", model.Model, new LoraOptions(), 1, null);
            created.Save(dir);
            loaded = LoraAdapter.Load(dir, model.Model);
        }
        using (created)
        using (loaded)
            foreach (var (path, (a, b)) in created.Weights)
            {
                Assert.True(TestAdapters.Identical(a, loaded.Weights[path].A));
                Assert.Equal(0, b.count_nonzero().item<long>());
            }
    }
}

/// <summary>Rank-stabilised LoRA: the scale is alpha / √r, written as PEFT's use_rslora and read back as such.</summary>
public sealed class RsLoraTests
{
    [Fact]
    public void An_rslora_adapter_scales_by_alpha_over_the_root_of_the_rank_and_keeps_it_through_a_save()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var adapter = TestAdapters.Random(model, seed: 1, new LoraOptions { Rank = 16, Alpha = 8, UseRsLora = true });
        var dir = Path.Combine(TinyModels.TempDir(), "rs");
        adapter.Save(dir);

        using var loaded = LoraAdapter.Load(dir, model.Model);

        Assert.Equal(2.0, adapter.Scale, 9); // 8 / √16, not 8 / 16
        Assert.Equal(2.0, loaded.Scale, 9);
        Assert.True(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json")))!["use_rslora"]!.GetValue<bool>());
    }
}
