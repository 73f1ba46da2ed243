using System.Text.Json.Nodes;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using WebUI.Engine.Studio;
using WebUI.Engine.Training;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests.Adapters;

/// <summary>DoRA as PEFT defines, saves and loads it: a magnitude per output row on top of the low-rank direction update.</summary>
public sealed class DoraTests
{
    /// <summary>A random DoRA adapter: random B (so it changes the output) and magnitudes away from ‖W‖.</summary>
    private static LoraAdapter RandomDora(LoadedModel model, long seed)
    {
        var adapter = TestAdapters.Random(model, seed, new LoraOptions { Rank = 4, Alpha = 8, UseDora = true });
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed + 7);
        foreach (var m in adapter.Magnitudes.Values) m.mul_(rand(m.shape, generator: generator).add(TorchScalars.Of(0.5), TorchScalars.One));
        return adapter;
    }

    /// <summary>The adapter saved as a PEFT folder of its own (the model's adapters are small).</summary>
    private static string Saved(LoraAdapter adapter, string name)
    {
        var dir = Path.Combine(TinyModels.TempDir(), name);
        adapter.Save(dir);
        return dir;
    }

    private static void SetUseDora(string dir, bool useDora)
    {
        var path = Path.Combine(dir, PeftFormat.ConfigFileName);
        var config = JsonNode.Parse(File.ReadAllText(path))!;
        config["use_dora"] = useDora;
        File.WriteAllText(path, config.ToJsonString());
    }

    [Fact]
    public void A_projection_gives_what_the_dora_formula_gives_by_hand()
    {
        using var linear = new AdaptableLinear(2, 2, hasBias: true);
        using var noGrad = no_grad();
        linear.Weight.copy_(tensor(new float[] { 1, 0, 0, 2 }, [2, 2]));
        linear.Bias!.copy_(tensor(new float[] { 0.5f, -1 }));
        using var a = tensor(new float[] { 1, 1 }, [1, 2]);
        using var b = tensor(new float[] { 1, 0 }, [2, 1]);
        using var magnitude = tensor(new float[] { 3, 4 });
        linear.SetBranches([new LoraBranch(a, b, 1.0, 0, Magnitude: magnitude)]);
        using var y = linear.call(tensor(new float[] { 1, 2 }, [1, 2]));

        // W + s·B·A = [[2, 1], [0, 2]]; row norms √5 and 2; k = [3/√5, 2]; x·(W + s·B·A)ᵀ = [4, 4]; + bias.
        var expected = new[] { 3 / Math.Sqrt(5) * 4 + 0.5, 2.0 * 4 - 1 };
        var actual = y.data<float>().ToArray();
        Assert.Equal(expected[0], actual[0], 5);
        Assert.Equal(expected[1], actual[1], 5);
        linear.SetBranches([]);
    }

    [Fact]
    public void Saves_as_peft_does_and_loads_back_with_the_same_output_and_merges_to_it()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var adapter = RandomDora(model, seed: 3);
        var dir = Saved(adapter, "dora");

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, PeftFormat.ConfigFileName)))!;
        Assert.True(config["use_dora"]!.GetValue<bool>());
        using (var file = SafeTensorsFile.Open(Path.Combine(dir, PeftFormat.WeightsFileName)))
            Assert.Equal(new long[] { 32 }, file.Tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector"].Shape);

        using var loaded = LoraAdapter.Load(dir, model.Model);
        Assert.True(loaded.Config.UseDora);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = randint(3, 512, [2, 7], dtype: ScalarType.Int64);
        var stack = new AdapterStack(model.Model);
        var baseLogits = model.Model.Forward(ids);
        stack.Activate([(adapter, 1.0)]);
        var trained = model.Model.Forward(ids);
        stack.Activate([(loaded, 1.0)]);
        var reloaded = model.Model.Forward(ids);
        stack.Activate([]);
        Assert.True(reloaded.allclose(trained, rtol: 1e-6, atol: 1e-6));
        Assert.False(trained.allclose(baseLogits, rtol: 1e-3, atol: 1e-3), "the adapter had no effect");

        var mergedDir = Path.Combine(TinyModels.TempDir(), "merged");
        AdapterMerger.WriteMerged(model, [(loaded, 1.0)], mergedDir);
        using var merged = ModelLoader.Load(mergedDir, ComputeDevice.Cpu);
        var mergedLogits = merged.Model.Forward(ids);
        Assert.True(mergedLogits.allclose(trained, rtol: 1e-4, atol: 1e-4), $"merged differs by {(mergedLogits - trained).abs().max().item<float>()}");
    }

    [Fact]
    public void A_dora_row_and_a_plain_row_in_one_batch_give_what_each_gives_alone()
    {
        using var model = TinyModels.Create(ModelFamily.Qwen2);
        using var dora = RandomDora(model, seed: 5);
        using var plain = TestAdapters.Random(model, seed: 6);
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var ids = randint(3, 512, [2, 6], dtype: ScalarType.Int64);
        var stack = new AdapterStack(model.Model);
        stack.Activate([(dora, 1.0)]);
        var alone = model.Model.Forward(ids[0..1]);
        stack.Activate([(plain, 0.5)]);
        var plainAlone = model.Model.Forward(ids[1..2]);
        stack.ActivatePerRow([[(dora, 1.0)], [(plain, 0.5)]], model.Model.Device);
        var batched = model.Model.Forward(ids);
        stack.Dispose();
        Assert.True(batched[0..1].allclose(alone, rtol: 1e-5, atol: 1e-5));
        Assert.True(batched[1..2].allclose(plainAlone, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void A_peft_folder_whose_magnitudes_and_config_disagree_is_refused_by_name()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var adapter = RandomDora(model, seed: 8);
        var dir = Saved(adapter, "dora");
        SetUseDora(dir, false);
        var error = Assert.Throws<InvalidModelException>(() => LoraAdapter.Load(dir, model.Model));
        Assert.Contains("lora_magnitude_vector' is a DoRA magnitude, but adapter_config.json does not set use_dora", error.Message);

        using var plain = TestAdapters.Random(model, seed: 9);
        var plainDir = Saved(plain, "plain");
        SetUseDora(plainDir, true);
        Assert.Matches(@"use_dora is set but module 'model\.layers\.\d+\.\w+\.\w+' has no lora_magnitude_vector",
            Assert.Throws<InvalidModelException>(() => LoraAdapter.Load(plainDir, model.Model)).Message);
    }

    [Fact]
    public void Llama_cpp_and_vllm_exports_say_they_cannot_hold_dora()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var adapter = RandomDora(model, seed: 10);
        var dir = Saved(adapter, "dora");
        Assert.Contains("DoRA", Assert.Throws<InvalidOperationException>(() => GgufExport.WriteAdapter(model, adapter, Path.Combine(dir, "x.gguf"), null)).Message);
        Assert.Contains("DoRA", Assert.Throws<ArgumentException>(() => ServingCommands.Vllm("base", [("dora", dir)])).Message);
    }

    [Fact]
    public async Task Training_a_dora_adapter_learns_its_magnitudes_and_saves_them()
    {
        var paths = new StudioPaths(TinyModels.TempDir());
        using var engine = new StudioEngine(paths);
        using (var stories = ModelLoader.Load(TinyModels.StoriesDir, ComputeDevice.Cpu)) HfModelWriter.Write(stories, Path.Combine(paths.Models, "stories"));
        File.WriteAllText(Path.Combine(paths.Datasets, "sue.txt"),
            string.Concat(Enumerable.Repeat("Once upon a time, there was a little girl named Sue. She liked to play.\n", 40)));
        await engine.LoadModelAsync("stories");
        var ended = new TaskCompletionSource<TrainingEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.TrainingEvents += e => { if (e.Kind is TrainingEventKind.Finished or TrainingEventKind.Failed) ended.TrySetResult(e); };
        await engine.StartTrainingAsync(new TrainingOptions
        {
            OutputName = "sue-dora", Epochs = 2, MicroBatchSize = 2, BatchSize = 4, LearningRate = 3e-3, SaveEvery = 0,
            Data = new DatasetOptions { DatasetPath = Path.Combine(paths.Datasets, "sue.txt"), Cutoff = 64, Overlap = 0 },
            Lora = new LoraOptions { Rank = 4, Alpha = 8, UseDora = true },
        });
        var end = await ended.Task.WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(end.Kind == TrainingEventKind.Finished, end.Message);

        var folder = Path.Combine(paths.Loras, "sue-dora");
        var parameters = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, TrainingRecordFiles.ParametersFileName)))!;
        Assert.True(parameters["lora"]!["use_dora"]!.GetValue<bool>());
        using var model = ModelLoader.Load(Path.Combine(paths.Models, "stories"), ComputeDevice.Cpu);
        using var trained = LoraAdapter.Load(folder, model.Model);
        var (path, magnitude) = trained.Magnitudes.First();
        using var initial = linalg.norm(model.Model.Projections().Single(p => p.Path == path).Linear.Weight, dims: [1]);
        Assert.False(magnitude.allclose(initial, rtol: 1e-4, atol: 1e-5), "the magnitudes did not train");
    }
}
