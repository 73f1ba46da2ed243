using TorchSharp;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;
using WebUI.Engine.Training;

namespace WebUI.Tests;

public sealed class TrainingRunTests(StoriesFixture fixture) : IClassFixture<StoriesFixture>
{
    private TrainingOptions Options(string name) => new()
    {
        OutputName = name, Method = TrainingMethod.Lora,
        Data = new DatasetOptions { DatasetPath = Path.Combine(fixture.Paths.Datasets, "sue.txt"), Cutoff = 96, Overlap = 0, EvalFraction = 0.1 },
        LearningRate = 2e-3, Epochs = 1, MicroBatchSize = 8, BatchSize = 16, EvalEvery = 2, SaveEvery = 3, Seed = 3,
        Lora = new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.1 },
    };

    [Fact]
    public async Task A_cancelled_run_resumes_with_the_step_count_and_reaches_the_same_final_loss()
    {
        var whole = await Train(Options("whole"), cancelAtStep: null);
        var first = await Train(Options("split"), cancelAtStep: 4);
        Assert.Equal(TrainingOutcome.Cancelled, first.Result.Outcome);
        Assert.Equal(4, first.Result.Steps);
        Assert.NotNull(first.Result.CheckpointPath);
        Assert.False(Directory.Exists(Path.Combine(fixture.Paths.Loras, "split")), "a cancelled run must not write its output");

        var resumed = await Train(Options("split") with { Resume = true }, cancelAtStep: null);
        Assert.Equal(5, resumed.Progress[0].Step);
        Assert.Equal(whole.Result.Steps, resumed.Result.Steps);
        Assert.Equal(whole.Result.TrainLoss, resumed.Result.TrainLoss, 5);
        Assert.Equal(whole.Result.EvalLoss!.Value, resumed.Result.EvalLoss!.Value, 5);
        Assert.Equal(whole.Progress.Select(p => Math.Round(p.TrainLoss, 5)), first.Progress.Concat(resumed.Progress).Select(p => Math.Round(p.TrainLoss, 5)));
    }

    [Fact]
    public async Task Progress_counts_optimizer_steps_and_reports_eval_loss_and_rates()
    {
        var run = await Train(Options("progress"), cancelAtStep: null);
        Assert.Equal(Enumerable.Range(1, run.Result.Steps), run.Progress.Select(p => p.Step));
        Assert.All(run.Progress, p => Assert.Equal(run.Result.Steps, p.TotalSteps));
        Assert.Contains(run.Progress, p => p.EvalLoss is not null);
        Assert.All(run.Progress, p => Assert.True(p.TokensPerSecond > 0 && p.MemoryMegabytes > 0 && p.LearningRate > 0));
    }

    [Fact]
    public async Task An_existing_output_is_refused_unless_overwritten_and_then_kept_as_backup()
    {
        var first = await Train(Options("taken") with { SaveEvery = 0 }, cancelAtStep: null);
        var firstWeights = File.ReadAllBytes(Path.Combine(first.Result.OutputPath, "adapter_model.safetensors"));
        var error = await Assert.ThrowsAsync<IOException>(() => Train(Options("taken"), cancelAtStep: null));
        Assert.Contains("already exists", error.Message);
        Assert.Equal(firstWeights, File.ReadAllBytes(Path.Combine(first.Result.OutputPath, "adapter_model.safetensors")));

        // Another learning rate, so the new adapter differs from the one kept as the backup.
        await Train(Options("taken") with { Overwrite = true, SaveEvery = 0, LearningRate = 5e-3 }, cancelAtStep: null);
        var backup = Assert.Single(Directory.GetDirectories(fixture.Paths.Loras, "taken.backup-*"));
        Assert.Equal(firstWeights, File.ReadAllBytes(Path.Combine(backup, "adapter_model.safetensors")));
        Assert.NotEqual(firstWeights, File.ReadAllBytes(Path.Combine(first.Result.OutputPath, "adapter_model.safetensors")));
    }

    [Fact]
    public async Task With_an_eval_set_the_output_is_the_best_evaluations_weights_unless_the_last_are_kept()
    {
        // Eval on the base model's own stories ("Lily") while training hard on "Sue": eval loss turns up before the end.
        var eval = Path.Combine(fixture.Paths.Datasets, "lily-eval.txt");
        File.WriteAllText(eval, string.Join("\n", fixture.Stories.Take(24)));
        var options = Options("keep-best") with
        {
            SaveEvery = 1, EvalEvery = 1, LearningRate = 2e-2, Epochs = 2, ReferenceTextPath = eval,
            Data = Options("keep-best").Data with { EvalFraction = 0, EvalDatasetPath = eval },
        };
        var best = await Train(options, cancelAtStep: null);
        var last = await Train(options with { OutputName = "keep-last", Keep = KeptWeights.Last, SaveEvery = 0 }, cancelAtStep: null);

        var log = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(best.Result.OutputPath, "training_log.json")))!;
        var curve = log["eval_curve"]!.AsArray().Select(p => (Step: p!["step"]!.GetValue<int>(), Loss: p["loss"]!.GetValue<double>())).ToList();
        int bestStep = curve.MinBy(p => p.Loss).Step;
        Assert.True(bestStep < best.Result.Steps, $"eval loss was lowest at the last step ({bestStep}): nothing to keep");
        Assert.Equal(bestStep, best.Result.KeptStep);
        Assert.Equal(bestStep, log["kept_step"]!.GetValue<int>());
        var checkpoint = Path.Combine(fixture.Paths.Checkpoints, "keep-best", $"checkpoint-{bestStep:D6}", "adapter", "adapter_model.safetensors");
        Assert.Equal(File.ReadAllBytes(checkpoint), File.ReadAllBytes(Path.Combine(best.Result.OutputPath, "adapter_model.safetensors")));
        Assert.False(Directory.Exists(Path.Combine(fixture.Paths.Checkpoints, "keep-best", Trainer.BestFolderName)), "the best weights' folder is left behind");

        // Forgetting on the same stories, measured on the base model before and on the kept weights after.
        var (basePerplexity, outputPerplexity) = await fixture.Worker.Run(() =>
        {
            using var model = ModelLoader.Load(fixture.StoriesPath, ComputeDevice.Cpu);
            var before = Perplexity.Compute(model, File.ReadAllText(eval), 512, 512).Perplexity;
            using var adapter = LoraAdapter.Load(best.Result.OutputPath, model.Model);
            using var stack = new AdapterStack(model.Model);
            stack.Activate([(adapter, 1.0)]);
            return (before, Perplexity.Compute(model, File.ReadAllText(eval), 512, 512).Perplexity);
        });
        Assert.Equal(basePerplexity, best.Result.Forgetting!.PerplexityBefore, 6);
        Assert.Equal(outputPerplexity, best.Result.Forgetting.PerplexityAfter, 4); // measured on the kept weights, not the last
        Assert.Equal(basePerplexity, log["forgetting"]!["perplexity_before"]!.GetValue<double>(), 6);
        Assert.NotEqual(best.Result.Forgetting.PerplexityAfter, last.Result.Forgetting!.PerplexityAfter);

        Assert.Equal(last.Result.Steps, last.Result.KeptStep);
        Assert.NotEqual(File.ReadAllBytes(checkpoint), File.ReadAllBytes(Path.Combine(last.Result.OutputPath, "adapter_model.safetensors")));
        Assert.Contains("\"keep\": \"last\"", File.ReadAllText(Path.Combine(last.Result.OutputPath, "training_parameters.json")));
    }

    [Fact]
    public async Task A_lora_continues_an_adapter_on_new_data_into_a_new_output_with_its_shape_and_lineage()
    {
        var parent = await Train(Options("stage-1") with { SaveEvery = 0, Lora = new LoraOptions { Rank = 8, Alpha = 4 } }, cancelAtStep: null);
        // A learning rate too small to move anything: the child must hold the parent's weights, not fresh ones.
        var child = await Train(Options("stage-2") with
        {
            SaveEvery = 0, LearningRate = 1e-9, Keep = KeptWeights.Last, StartFromAdapterPath = parent.Result.OutputPath, Lora = new LoraOptions { Rank = 2 },
        }, cancelAtStep: null);

        var close = await fixture.Worker.Run(() =>
        {
            using var model = ModelLoader.Load(fixture.StoriesPath, ComputeDevice.Cpu);
            using var before = LoraAdapter.Load(parent.Result.OutputPath, model.Model);
            using var after = LoraAdapter.Load(child.Result.OutputPath, model.Model);
            Assert.Equal((8, 4.0), (after.Config.Rank, after.Config.Alpha)); // the parent's shape, not the options' rank 2
            return before.Weights.All(w => after.Weights[w.Key].A.allclose(w.Value.A, atol: 1e-5) && after.Weights[w.Key].B.allclose(w.Value.B, atol: 1e-5))
                && before.Weights.Any(w => w.Value.B.abs().max().item<float>() > 1e-3);
        });
        Assert.True(close, "the continued adapter does not hold its parent's (trained) weights");
        var record = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(child.Result.OutputPath, "training_parameters.json")))!;
        Assert.Equal("stage-1", record["start_from_adapter"]!["name"]!.GetValue<string>());
        Assert.Equal(8, record["lora"]!["rank"]!.GetValue<int>());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(parent.Result.OutputPath, "adapter_model.safetensors")))),
            record["start_from_adapter"]!["weights_sha256"]!.GetValue<string>());
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => Train(Options("stage-x") with { StartFromAdapterPath = Path.Combine(fixture.Paths.Loras, "missing") }, cancelAtStep: null));
    }

    [Fact]
    public async Task Dispose_scope_statistics_stay_flat_across_training_steps()
    {
        var live = new List<long>();
        await fixture.Worker.Run(() =>
        {
            using var model = ModelLoader.Load(fixture.StoriesPath, ComputeDevice.Cpu);
            var options = Options("flat") with { SaveEvery = 0, EvalEvery = 0, Epochs = 3, Data = Options("flat").Data with { EvalFraction = 0 } };
            TrainingRun.Prepare(model, options, fixture.Paths).Trainer
                .Run(new SyncProgress<TrainingProgress>(_ => live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount)), CancellationToken.None);
        });
        Assert.True(live.Count >= 6);
        Assert.All(live.Skip(2), count => Assert.Equal(live[2], count));
    }

    private async Task<(TrainingResult Result, List<TrainingProgress> Progress)> Train(TrainingOptions options, int? cancelAtStep)
    {
        var progress = new List<TrainingProgress>();
        using var cancel = new CancellationTokenSource();
        var result = await fixture.Worker.Run(() =>
        {
            using var model = ModelLoader.Load(fixture.StoriesPath, ComputeDevice.Cpu);
            return TrainingRun.Prepare(model, options, fixture.Paths).Trainer.Run(new SyncProgress<TrainingProgress>(p =>
            {
                progress.Add(p);
                if (p.Step == cancelAtStep) cancel.Cancel();
            }), cancel.Token);
        });
        return (result, progress);
    }
}
