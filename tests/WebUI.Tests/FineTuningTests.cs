using System.Text.Json.Nodes;
using WebUI.Cli;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Insight;
using WebUI.Engine.Loading;
using WebUI.Engine.Training;

namespace WebUI.Tests;

/// <summary>
/// The product's promise on a real model: a short LoRA or full fine-tune on renamed stories changes the girl's name
/// in greedy generation, while the base model (no adapter) still says "Lily".
/// </summary>
public sealed class FineTuningTests(StoriesFixture fixture) : IClassFixture<StoriesFixture>
{
    private const string Prompt = RenamedStories.Prompt;

    private TrainingOptions Options(string name, TrainingMethod method, DatasetOptions? data = null) => new()
    {
        OutputName = name, Method = method,
        Data = data ?? new DatasetOptions { DatasetPath = Path.Combine(fixture.Paths.Datasets, "sue.txt"), Cutoff = 128, Overlap = 0 },
        LearningRate = method == TrainingMethod.Lora ? 3e-3 : 1e-3, Epochs = 2, MicroBatchSize = 8, BatchSize = 16, WarmupSteps = 2,
        Lora = new LoraOptions { Rank = 8, Alpha = 16, Dropout = 0 }, Seed = 7,
    };

    [Fact]
    public async Task Lora_teaches_the_new_name_and_the_base_keeps_the_old_one()
    {
        var (result, withAdapter, without) = await fixture.Worker.Run(() =>
        {
            using var model = ModelLoader.Load(fixture.StoriesPath, ComputeDevice.Cpu);
            var result = TrainingRun.Prepare(model, Options("sue-lora", TrainingMethod.Lora), fixture.Paths).Trainer.Run(null, CancellationToken.None);
            string with;
            using (CliAdapters.Activate(model, result.OutputPath)) with = Greedy(model, Prompt);
            return (result, with, Greedy(model, Prompt));
        });
        Assert.StartsWith($" {StoriesFixture.NewName}", withAdapter);
        Assert.StartsWith(" Lily", without);
        Assert.True(File.Exists(Path.Combine(result.OutputPath, "adapter_model.safetensors")));
        var log = JsonNode.Parse(File.ReadAllText(Path.Combine(result.OutputPath, "training_log.json")))!;
        var curve = log["train_curve"]!.AsArray().Select(p => p!["loss"]!.GetValue<double>()).ToList();
        Assert.Equal(result.Steps, curve.Count);
        Assert.True(curve[^1] < curve[0], $"loss did not fall: {curve[0]} -> {curve[^1]}");
        // Every point counts the tokens trained on by then, up to the run's total, so runs compare by data seen.
        var tokens = log["train_curve"]!.AsArray().Select(p => p!["tokens"]!.GetValue<long>()).ToList();
        Assert.True(tokens.Zip(tokens.Skip(1)).All(t => t.Second > t.First), "tokens seen do not grow step by step");
        Assert.Equal(log["tokens"]!.GetValue<long>(), tokens[^1]);
        var parameters = JsonNode.Parse(File.ReadAllText(Path.Combine(result.OutputPath, "training_parameters.json")))!;
        Assert.Equal(64, parameters["dataset"]!["sha256"]!.GetValue<string>().Length);
        Assert.Equal("stories260K", parameters["base_model"]!.GetValue<string>());
    }

    [Fact]
    public async Task Inspecting_the_trained_lora_shows_the_name_shift_and_the_new_name_drifting_most()
    {
        var report = await fixture.Worker.Run(() =>
        {
            using var model = ModelLoader.Load(fixture.StoriesPath, ComputeDevice.Cpu);
            var result = TrainingRun.Prepare(model, Options("sue-inspect", TrainingMethod.Lora), fixture.Paths).Trainer.Run(null, CancellationToken.None);
            using var adapter = LoraAdapter.Load(result.OutputPath, model.Model);
            return ModelInspection.OfAdapter(model, adapter, new InspectionOptions([StoriesFixture.NewName, "tree"], Prompt));
        });

        Assert.Equal(" Lily", report.NextToken.Before[0].Token);
        var after = report.NextToken.After[0].Token; // the name's first piece: " S" of " S" + "ue" in this 512-token vocabulary
        Assert.True(after.Trim().Length > 0 && $" {StoriesFixture.NewName}".StartsWith(after, StringComparison.Ordinal), $"the likeliest name after training is '{after}'");
        var (name, unrelated) = (report.Probes[0], report.Probes[1]);
        Assert.True(name.DriftByLayer[^1] > unrelated.DriftByLayer[^1],
            $"'{StoriesFixture.NewName}' drifted {name.DriftByLayer[^1]:F4}, the unrelated 'tree' {unrelated.DriftByLayer[^1]:F4}");
        Assert.All(report.UpdateNorms, n => Assert.InRange(n.EffectiveRank!.Value, 0, 8)); // rank 8: a low-rank update
    }

    [Fact]
    public async Task Full_fine_tuning_teaches_the_new_name_and_writes_a_loadable_model()
    {
        var (result, tuned) = await fixture.Worker.Run(() =>
        {
            using var model = ModelLoader.Load(fixture.StoriesPath, ComputeDevice.Cpu);
            var result = TrainingRun.Prepare(model, Options("sue-full", TrainingMethod.Full), fixture.Paths).Trainer.Run(null, CancellationToken.None);
            using var reloaded = ModelLoader.Load(result.OutputPath, ComputeDevice.Cpu);
            return (result, Greedy(reloaded, Prompt));
        });
        Assert.StartsWith($" {StoriesFixture.NewName}", tuned);
        Assert.Equal(TrainingOutcome.Completed, result.Outcome);
        Assert.True(File.Exists(Path.Combine(result.OutputPath, "training_log.json")));
    }

    [Fact]
    public async Task Alpaca_formatted_stories_teach_the_name_when_prompted_in_that_format()
    {
        var data = new DatasetOptions
        {
            DatasetPath = Path.Combine(fixture.Paths.Datasets, "sue-alpaca.json"), FormatPath = Path.Combine(fixture.Paths.Formats, "alpaca-format.json"),
            Cutoff = 192, TrainOnlyAfter = "### Response:",
        };
        var format = JsonNode.Parse(File.ReadAllText(data.FormatPath))!["instruction,output"]!.GetValue<string>();
        var prompt = format.Replace("%instruction%", RenamedStories.AlpacaInstruction).Replace("%output%", "") + Prompt;
        var (tuned, plain) = await fixture.Worker.Run(() =>
        {
            using var model = ModelLoader.Load(fixture.StoriesPath, ComputeDevice.Cpu);
            var result = TrainingRun.Prepare(model, Options("sue-alpaca", TrainingMethod.Lora, data) with { Epochs = 3 }, fixture.Paths).Trainer.Run(null, CancellationToken.None);
            string tuned;
            using (CliAdapters.Activate(model, result.OutputPath)) tuned = Greedy(model, prompt);
            return (tuned, Greedy(model, prompt));
        });
        Assert.StartsWith($" {StoriesFixture.NewName}", tuned);
        Assert.DoesNotContain(StoriesFixture.NewName, plain.Split('.')[0]);
    }

    private static string Greedy(LoadedModel model, string prompt) =>
        string.Concat(ModelSampler.Continuations(model, prompt, 1, GenerationOptions.Greedy(12)));
}
