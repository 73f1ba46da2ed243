using System.Text.Json;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;
using WebUI.Engine.Training;

namespace WebUI.Cli;

/// <summary>`train --model PATH --dataset FILE --output NAME ...`: progress on stderr, one JSON line of results on stdout.</summary>
public static class TrainCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var cl = new CommandLine(args, new HashSet<string> { "resume", "overwrite", "no-gradient-checkpointing", "freeze-embeddings", "no-eos" });
        var paths = StudioPaths.ForCurrentDirectory();
        var modelPath = cl.Required("model");
        var options = Read(cl, paths);
        cl.RejectUnknown();
        options.Validate();

        using var worker = new TorchWorker("train");
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); Console.Error.WriteLine("cancelling: saving a checkpoint..."); };
        var result = await worker.Run(() =>
        {
            using var model = ModelLoader.Load(modelPath);
            var run = TrainingRun.Prepare(model, options, paths);
            Console.Error.WriteLine($"dataset: {run.Data.Report.Examples} training examples, {run.Data.Eval.Count} evaluation examples, {run.Data.Report.Tokens} tokens");
            return run.Trainer.Run(new SyncProgress<TrainingProgress>(p => Console.Error.WriteLine(p.Describe())), cancel.Token);
        });
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            outcome = result.Outcome.ToString().ToLowerInvariant(), steps = result.Steps, train_loss = result.TrainLoss, eval_loss = result.EvalLoss,
            tokens_per_second = Math.Round(result.TokensPerSecond, 1), peak_memory_mb = Math.Round(result.PeakMemoryMegabytes),
            trainable_parameters = result.TrainableParameters, output_path = result.OutputPath, checkpoint_path = result.CheckpointPath,
            duration_seconds = Math.Round(result.Duration.TotalSeconds, 1),
        }));
        return result.Outcome == TrainingOutcome.Cancelled ? 130 : 0;
    }

    private static TrainingOptions Read(CommandLine cl, StudioPaths paths)
    {
        var defaults = new TrainingOptions { OutputName = "x", Data = new DatasetOptions { DatasetPath = "x" } };
        var lora = new LoraOptions();
        var data = new DatasetOptions
        {
            DatasetPath = paths.Dataset(cl.Required("dataset")),
            FormatPath = cl.String("format") is { } f ? paths.Format(f) : null,
            Cutoff = cl.Number<int>("cutoff") ?? defaults.Data.Cutoff,
            Overlap = cl.Number<int>("overlap"),
            TrainOnlyAfter = cl.String("train-only-after"),
            AddEos = !cl.Flag("no-eos"),
            EvalDatasetPath = cl.String("eval-dataset") is { } e ? paths.Dataset(e) : null,
            EvalFraction = cl.Number<double>("eval-fraction") ?? 0,
            Seed = cl.Number<int>("seed") ?? defaults.Seed,
        };
        return new TrainingOptions
        {
            OutputName = cl.Required("output"),
            Data = data,
            Method = cl.String("method") switch
            {
                null or "lora" => TrainingMethod.Lora,
                "full" => TrainingMethod.Full,
                var m => throw new UsageException($"--method must be lora or full, got '{m}'"),
            },
            Lora = lora with
            {
                Rank = cl.Number<int>("rank") ?? lora.Rank,
                Alpha = cl.Number<double>("alpha") ?? lora.Alpha,
                Dropout = cl.Number<double>("dropout") ?? lora.Dropout,
                TargetModules = cl.String("targets") is { } t && t != "all-linear" ? t.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : null,
            },
            LearningRate = cl.Number<double>("lr") ?? defaults.LearningRate,
            Scheduler = cl.String("scheduler") is { } s
                ? Enum.TryParse<SchedulerKind>(s.Replace("_", ""), ignoreCase: true, out var kind) ? kind
                    : throw new UsageException($"--scheduler must be constant, constant_with_warmup, linear or cosine, got '{s}'")
                : defaults.Scheduler,
            WarmupSteps = cl.Number<int>("warmup") ?? defaults.WarmupSteps,
            Epochs = cl.Number<double>("epochs") ?? defaults.Epochs,
            MicroBatchSize = cl.Number<int>("micro-batch") ?? defaults.MicroBatchSize,
            BatchSize = cl.Number<int>("batch"),
            EvalEvery = cl.Number<int>("eval-every") ?? defaults.EvalEvery,
            SaveEvery = cl.Number<int>("save-every") ?? defaults.SaveEvery,
            StopAtLoss = cl.Number<double>("stop-at-loss"),
            Seed = data.Seed,
            WeightDecay = cl.Number<double>("weight-decay") ?? defaults.WeightDecay,
            GradientCheckpointing = !cl.Flag("no-gradient-checkpointing"),
            FreezeEmbeddings = cl.Flag("freeze-embeddings"),
            Resume = cl.Flag("resume"),
            Overwrite = cl.Flag("overwrite"),
        };
    }
}
