using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests.Adapters;

public sealed class AdapterMergerTests
{
    [Theory]
    [InlineData(ModelFamily.Llama)]
    [InlineData(ModelFamily.Qwen2)]
    [InlineData(ModelFamily.Gpt2)]
    public void Merged_export_reloads_with_the_logits_of_the_active_adapters(ModelFamily family)
    {
        using var model = TinyModels.Create(family);
        using var first = TestAdapters.Random(model, seed: 1);
        using var second = TestAdapters.Random(model, seed: 2, new LoraOptions { Rank = 3, Alpha = 5, TargetModules = [family == ModelFamily.Gpt2 ? "c_fc" : "down_proj"] });
        IReadOnlyList<(LoraAdapter, double)> mix = [(first, 0.75), (second, -1.5)];
        var stack = new AdapterStack(model.Model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = randint(3, 512, [2, 9], dtype: ScalarType.Int64);
        var baseLogits = model.Model.Forward(ids);
        stack.Activate(mix);
        var adaptedLogits = model.Model.Forward(ids);
        stack.Activate([]);

        var dir = Path.Combine(TinyModels.TempDir(), "merged");
        AdapterMerger.WriteMerged(model, mix, dir);
        using var merged = ModelLoader.Load(dir, ComputeDevice.Cpu);
        var mergedLogits = merged.Model.Forward(ids);

        Assert.True(mergedLogits.allclose(adaptedLogits, rtol: 1e-5, atol: 1e-5),
            $"merged logits differ from the adapted ones by {(mergedLogits - adaptedLogits).abs().max().item<float>()}");
        Assert.False(mergedLogits.allclose(baseLogits, rtol: 1e-3, atol: 1e-3), "the merge had no effect");
        Assert.True(baseLogits.equal(model.Model.Forward(ids)).all().item<bool>(), "merging changed the in-memory base model");
        Assert.All(merged.Model.Projections(), p => Assert.Empty(p.Linear.Branches));
    }
}
