using WebUI.Engine.Adapters;
using WebUI.Engine.Insight;
using WebUI.Engine.Modeling;
using WebUI.Engine.Tests.Adapters;

namespace WebUI.Engine.Tests.Insight;

/// <summary>Representation drift, neighbours and the next-token shift on tiny models.</summary>
public sealed class ProbeMeasuresTests
{
    [Fact]
    public void Cosine_distance_is_zero_for_equal_states_and_one_for_orthogonal_ones()
    {
        float[][] x = [[9, 9], [1, 0]], y = [[5, 5], [0, 1]];
        Assert.Equal(0, ProbeMeasures.CosineDistance(x, x, 0), 9);
        Assert.Equal(1, ProbeMeasures.CosineDistance(x, y, 1), 9); // position 0 (BOS) left out
        Assert.Equal(0.5, ProbeMeasures.CosineDistance(x, y, 0), 6);
    }

    [Fact]
    public void Two_identical_models_show_no_drift_and_the_same_neighbours_and_next_tokens()
    {
        using var a = TinyModels.Create(ModelFamily.Llama, seed: 5);
        using var b = TinyModels.Create(ModelFamily.Llama, seed: 5);

        var probe = ProbeMeasures.Probe(ModelSide.Plain(a), ModelSide.Plain(b), "Lily");
        var next = ProbeMeasures.NextToken(ModelSide.Plain(a), ModelSide.Plain(b), "Once upon a time");

        Assert.Equal(a.Config.NumLayers + 1, probe.DriftByLayer.Count);
        Assert.All(probe.DriftByLayer, d => Assert.Equal(0, d, 6));
        Assert.Equal(probe.NeighboursBefore, probe.NeighboursAfter);
        Assert.Equal(ProbeMeasures.Neighbours, probe.NeighboursBefore.Count);
        Assert.Equal(next.Before, next.After);
        Assert.Equal(10, next.Before.Count);
        Assert.True(next.Before.Zip(next.Before.Skip(1)).All(p => p.First.P >= p.Second.P), "next tokens are not ordered by probability");
    }

    [Fact]
    public void An_adapter_moves_the_layers_it_adapts_but_not_the_embeddings_and_a_long_probe_reports_its_pieces()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var adapter = TestAdapters.Random(model, seed: 4);

        var probe = ProbeMeasures.Probe(ModelSide.Plain(model), new ModelSide(model, [(adapter, 1.0)]), "a little girl named Lily");

        Assert.Equal(0, probe.DriftByLayer[0], 9); // the embeddings are not adapted
        Assert.True(probe.DriftByLayer[^1] > 0, "the adapted layers did not move the probe");
        Assert.True(probe.Pieces.Count > 1, "the probe was not split into its tokens");
        Assert.Equal("a little girl named Lily", string.Concat(probe.Pieces).Trim());
    }

    [Fact]
    public void Default_probes_are_the_words_the_dataset_uses_unlike_the_reference()
    {
        var dataset = string.Join(' ', Enumerable.Repeat("Sue went to the park. Sue saw a dog.", 5));
        var reference = string.Join(' ', Enumerable.Repeat("Lily went to the park. Lily saw a dog.", 5));

        var probes = ProbeWords.MostShifted(dataset, reference, count: 1);

        Assert.Equal(["Sue"], probes);
    }

    [Fact]
    public void The_map_keeps_a_probes_true_move_and_identical_models_move_nothing()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var twin = TinyModels.Create(ModelFamily.Llama);
        using var adapter = TestAdapters.Random(model, seed: 4);
        var (plain, adapted) = (ModelSide.Plain(model), new ModelSide(model, [(adapter, 1.0)]));

        var still = ProbeMeasures.Map(plain, ModelSide.Plain(twin), ["Lily", "park", "dog"])!;
        Assert.Equal(model.Config.NumLayers, still.Layer);
        Assert.All(still.Points, p => Assert.Equal(0, double.Hypot(p.AfterX - p.BeforeX, p.AfterY - p.BeforeY), 5));

        // Two points lie on one line, so their map keeps their whole distance: the arrow is as long as the true move.
        var one = ProbeMeasures.Map(plain, adapted, ["Lily"])!;
        var ids = model.Tokenizer.Encode("Lily");
        float[] Last(ModelSide side) => side.Measure(m =>
        {
            using var runner = new HiddenStatesRunner();
            using var scope = TorchSharp.torch.NewDisposeScope();
            using var inference = TorchSharp.torch.inference_mode();
            m.Model.Hidden(TorchSharp.torch.tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count]), null, runner);
            return runner.States[^1][0, -1].data<float>().ToArray();
        });
        var (before, after) = (Last(plain), Last(adapted));
        var moved = Math.Sqrt(before.Zip(after, (b, a) => (double)(a - b) * (a - b)).Sum());
        var p = Assert.Single(one.Points);
        Assert.True(moved > 1e-3, "the adapter did not move the probe");
        Assert.Equal(moved, double.Hypot(p.AfterX - p.BeforeX, p.AfterY - p.BeforeY), 4);
        Assert.Equal(1, one.ExplainedVariance, 6);
        Assert.Null(ProbeMeasures.Map(plain, adapted, []));
    }
}
