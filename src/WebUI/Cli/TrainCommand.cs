using System.CommandLine;
using System.Text.Json;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;
using WebUI.Engine.Training;

namespace WebUI.Cli;

/// <summary>`train --model PATH --dataset FILE --output NAME ...`: progress on stderr, one JSON line of results on stdout.</summary>
public sealed class TrainCommand
{
    private static readonly TrainingOptions Defaults = new() { OutputName = "x", Data = new DatasetOptions { DatasetPath = "x" } };
    private static readonly LoraOptions LoraDefaults = new();

    private readonly Option<string> dataset = CliOptions.Required("--dataset", "Dataset file, or a name in training/datasets (.txt raw text, .json/.jsonl rows or conversations)");
    private readonly Option<string> output = CliOptions.Required("--output", "Name of the result: loras/NAME, or models/NAME with --method full");
    private readonly Option<string?> format = CliOptions.OptionalText("--format", "Format file for .json/.jsonl rows, or a name in training/formats", "none");
    private readonly Option<int> cutoff = CliOptions.Number("--cutoff", "Most tokens in one example", Defaults.Data.Cutoff);
    private readonly Option<int?> overlap = CliOptions.OptionalNumber<int>("--overlap", "Raw text: tokens shared by consecutive blocks", "half the --cutoff");
    private readonly Option<string?> trainOnlyAfter = CliOptions.OptionalText("--train-only-after", "Formatted rows: train only on the text after this marker", "train on all");
    private readonly Option<bool> noEos = CliOptions.Flag("--no-eos", "Do not end each section, row or assistant turn with EOS");
    private readonly Option<string?> evalDataset = CliOptions.OptionalText("--eval-dataset", "Separate evaluation file of the same kind", "none");
    private readonly Option<string?> exportJob = CliOptions.OptionalText("--export-job", "Write these settings and the dataset as an axolotl / LLaMA-Factory job folder instead of training here", "train here");
    private readonly Option<string?> fromLora = CliOptions.OptionalText("--from-lora", "Staged fine-tuning: continue this adapter (in loras/, or a folder) into the new output", "a new adapter");
    private readonly Option<string?> reference = CliOptions.OptionalText("--reference", "Text to measure forgetting on: its perplexity before and after training", "none");
    private readonly Option<double> evalFraction = CliOptions.Number("--eval-fraction", "Share of rows held out for evaluation", Defaults.Data.EvalFraction);
    private readonly Option<int> seed = CliOptions.Number("--seed", "Seed of the shuffle, the held-out rows and the adapter's initial weights", Defaults.Seed);
    private readonly Option<TrainingMethod> method = new("--method")
    {
        Description = "Train an adapter (lora) or every weight (full)",
        HelpName = "lora|full",
        DefaultValueFactory = _ => Defaults.Method,
        CustomParser = r => CliOptions.Parsed<TrainingMethod?>(r,
            text => text.ToLowerInvariant() switch { "lora" => TrainingMethod.Lora, "full" => TrainingMethod.Full, _ => null },
            text => $"--method must be lora or full, got '{text}'") ?? default,
    };
    private readonly Option<int> rank = CliOptions.Number("--rank", "LoRA rank", LoraDefaults.Rank);
    private readonly Option<double> alpha = CliOptions.Number("--alpha", "LoRA alpha (the update is scaled by alpha / rank)", LoraDefaults.Alpha);
    private readonly Option<double> dropout = CliOptions.Number("--dropout", "LoRA dropout", LoraDefaults.Dropout);
    private readonly Option<bool> rslora = CliOptions.Flag("--rslora", "Rank-stabilised LoRA: scale the update by alpha / sqrt(rank)");
    private readonly Option<bool> dora = CliOptions.Flag("--dora", "DoRA: train a magnitude per output row beside the low-rank direction update (PEFT use_dora)");
    private readonly Option<string> targets = CliOptions.Text("--targets", "Layers to adapt, such as q_proj,v_proj", "all-linear");
    private readonly Option<double> lr = CliOptions.Number("--lr", "Peak learning rate", Defaults.LearningRate);
    private readonly Option<KeptWeights> keep = new("--keep")
    {
        Description = "With an eval set, the weights written: the best evaluation's or the last step's",
        HelpName = "best|last",
        DefaultValueFactory = _ => Defaults.Keep,
        CustomParser = r => CliOptions.Parsed(r, text => Enum.GetValues<KeptWeights>().Cast<KeptWeights?>()
                .FirstOrDefault(k => string.Equals(k.ToString(), text, StringComparison.OrdinalIgnoreCase)),
            text => $"--keep must be best or last, got '{text}'") ?? default,
    };
    private readonly Option<SchedulerKind> scheduler = new("--scheduler")
    {
        Description = "Learning rate schedule after the warm-up",
        HelpName = "constant|constant_with_warmup|linear|cosine",
        DefaultValueFactory = _ => Defaults.Scheduler,
        CustomParser = r => CliOptions.Parsed(r, text => Enum.GetValues<SchedulerKind>().Cast<SchedulerKind?>()
                .FirstOrDefault(k => string.Equals(k.ToString(), text.Replace("_", ""), StringComparison.OrdinalIgnoreCase)),
            text => $"--scheduler must be constant, constant_with_warmup, linear or cosine, got '{text}'") ?? default,
    };
    private readonly Option<int> warmup = CliOptions.Number("--warmup", "Warm-up optimizer steps", Defaults.WarmupSteps);
    private readonly Option<double> epochs = CliOptions.Number("--epochs", "Passes over the dataset (fractions allowed)", Defaults.Epochs);
    private readonly Option<int> microBatch = CliOptions.Number("--micro-batch", "Examples per forward pass", Defaults.MicroBatchSize);
    private readonly Option<int?> batch = CliOptions.OptionalNumber<int>("--batch", "Examples per optimizer step, a multiple of --micro-batch",
        $"the smallest multiple of --micro-batch that is at least {TrainingOptions.UsualBatchSize}");
    private readonly Option<int> evalEvery = CliOptions.Number("--eval-every", "Evaluate every N optimizer steps; 0 only at the end", Defaults.EvalEvery);
    private readonly Option<int> saveEvery = CliOptions.Number("--save-every", "Checkpoint every N optimizer steps; 0 only when stopped", Defaults.SaveEvery);
    private readonly Option<double?> stopAtLoss = CliOptions.OptionalNumber<double>("--stop-at-loss", "Stop once a step's train loss falls below this", "never");
    private readonly Option<double> weightDecay = CliOptions.Number("--weight-decay", "AdamW weight decay", Defaults.WeightDecay);
    private readonly Option<bool> noGradientCheckpointing = CliOptions.Flag("--no-gradient-checkpointing", "Keep activations instead of recomputing them: faster, more memory");
    private readonly Option<bool> freezeEmbeddings = CliOptions.Flag("--freeze-embeddings", "Full fine-tuning: keep the embeddings fixed");
    private readonly Option<bool> resume = CliOptions.Flag("--resume", "Continue from the newest checkpoint in training/checkpoints/NAME");
    private readonly Option<bool> overwrite = CliOptions.Flag("--overwrite", "Replace an existing output (the old one is kept as a backup)");

    public static Command Create(SharedOptions shared)
    {
        var train = new TrainCommand();
        var command = new Command("train", "Fine-tune a LoRA adapter (default) or the full weights: progress on stderr, one JSON line of results on stdout")
        {
            shared.Model, train.dataset, train.output, train.format, train.cutoff, train.overlap, train.trainOnlyAfter, train.noEos, train.evalDataset, train.reference, train.fromLora,
            train.evalFraction, train.seed, train.method, train.rank, train.alpha, train.dropout, train.rslora, train.dora, train.targets, train.lr, train.scheduler, train.warmup,
            train.epochs, train.microBatch, train.batch, train.evalEvery, train.saveEvery, train.stopAtLoss, train.keep, train.weightDecay,
            train.noGradientCheckpointing, train.freezeEmbeddings, train.resume, train.overwrite, train.exportJob,
        };
        command.SetAction(parsed =>
        {
            var paths = StudioPaths.ForCurrentDirectory();
            if (parsed.GetValue(train.exportJob) is { } job)
            {
                var files = JobExport.Write(job, train.Read(parsed, paths), parsed.GetRequiredValue(shared.Model), parsed.GetValue(train.overwrite));
                Console.WriteLine(JsonSerializer.Serialize(new { job = Path.GetFullPath(job), files }));
                return Task.FromResult(0);
            }
            return RunAsync(parsed.GetRequiredValue(shared.Model), train.Read(parsed, paths), paths);
        });
        return command;
    }

    private static async Task<int> RunAsync(string modelPath, TrainingOptions options, StudioPaths paths)
    {
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

    private TrainingOptions Read(ParseResult parsed, StudioPaths paths)
    {
        var data = new DatasetOptions
        {
            DatasetPath = paths.Dataset(parsed.GetRequiredValue(dataset)),
            FormatPath = parsed.GetValue(format) is { } f ? paths.Format(f) : null,
            Cutoff = parsed.GetValue(cutoff),
            Overlap = parsed.GetValue(overlap),
            TrainOnlyAfter = parsed.GetValue(trainOnlyAfter),
            AddEos = !parsed.GetValue(noEos),
            EvalDatasetPath = parsed.GetValue(evalDataset) is { } e ? paths.Dataset(e) : null,
            EvalFraction = parsed.GetValue(evalFraction),
            Seed = parsed.GetValue(seed),
        };
        var modules = parsed.GetRequiredValue(targets);
        return new TrainingOptions
        {
            OutputName = parsed.GetRequiredValue(output),
            Data = data,
            Method = parsed.GetValue(method),
            Lora = LoraDefaults with
            {
                Rank = parsed.GetValue(rank),
                Alpha = parsed.GetValue(alpha),
                Dropout = parsed.GetValue(dropout),
                UseRsLora = parsed.GetValue(rslora), UseDora = parsed.GetValue(dora),
                TargetModules = modules == "all-linear" ? null : modules.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            },
            LearningRate = parsed.GetValue(lr),
            Scheduler = parsed.GetValue(scheduler),
            WarmupSteps = parsed.GetValue(warmup),
            Epochs = parsed.GetValue(epochs),
            MicroBatchSize = parsed.GetValue(microBatch),
            BatchSize = parsed.GetValue(batch),
            EvalEvery = parsed.GetValue(evalEvery),
            SaveEvery = parsed.GetValue(saveEvery),
            StopAtLoss = parsed.GetValue(stopAtLoss),
            Keep = parsed.GetValue(keep),
            ReferenceTextPath = parsed.GetValue(reference) is { } r ? paths.Dataset(r) : null,
            StartFromAdapterPath = parsed.GetValue(fromLora) is { } parent ? (Directory.Exists(parent) ? parent : StudioPaths.Inside(paths.Loras, parent)) : null,
            Seed = data.Seed,
            WeightDecay = parsed.GetValue(weightDecay),
            GradientCheckpointing = !parsed.GetValue(noGradientCheckpointing),
            FreezeEmbeddings = parsed.GetValue(freezeEmbeddings),
            Resume = parsed.GetValue(resume),
            Overwrite = parsed.GetValue(overwrite),
        };
    }
}
