using System.Globalization;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;
using WebUI.Engine.Training;

namespace WebUI.Cli;

/// <summary>
/// One training case at cutoff 256 (micro-batch 4, batch 4, gradient checkpointing): tokens/s, peak RSS, trainable
/// parameters, bytes written, and forgetting as the perplexity of held-out stories (the base model's own, not
/// renamed) before and after training.
/// </summary>
public static class BenchTraining
{
    public const string Header = "| model | method | trainable parameters | tokens/s | peak RSS | on disk | held-out perplexity before → after |\n|---|---|---:|---:|---:|---:|---:|";

    /// <summary><paramref name="steps"/> 0 trains one full epoch of the renamed stories; otherwise that many optimizer steps.</summary>
    public static async Task<int> Run(string name, BenchModels bench, Func<LoadedModel> load, TrainingMethod method, int steps)
    {
        var root = Path.Combine(Path.GetTempPath(), $"webui-bench-{Guid.NewGuid():N}");
        var paths = new StudioPaths(root);
        paths.EnsureFolders();
        using var worker = new TorchWorker("bench");
        try
        {
            var (trainText, heldOut) = await worker.Run(() =>
            {
                using var stories = bench.Stories();
                return (RenamedStories.Generate(stories, "Sue", 256, seed: 1), string.Join("\n\n", RenamedStories.Generate(stories, "Lily", 24, seed: 5000)));
            });
            var dataset = Path.Combine(paths.Datasets, "sue.txt");
            RenamedStories.WriteText(dataset, trainText);
            var line = await worker.Run(() =>
            {
                ProcessMemory.ResetPeak();
                using var model = load();
                var before = Perplexity.Compute(model, heldOut, 256, 256).Perplexity;
                var options = new TrainingOptions
                {
                    // One stream of text cut into full 256-token blocks, so every sequence is as long as the cutoff.
                    OutputName = "bench", Method = method, Data = new DatasetOptions { DatasetPath = dataset, Cutoff = 256, Overlap = 0, HardCut = "" },
                    LearningRate = method == TrainingMethod.Lora ? 2e-3 : 3e-4, MicroBatchSize = 4, BatchSize = 4, Epochs = 1, Seed = 1,
                };
                var run = TrainingRun.Prepare(model, options, paths);
                var trainer = steps == 0 ? run.Trainer
                    : new Trainer(model, options with { Epochs = (double)steps * options.EffectiveBatchSize / run.Data.Train.Count }, run.Data, run.Paths);
                var result = trainer.Run(null, CancellationToken.None);
                double peak = ProcessMemory.PeakRssMegabytes();
                double after;
                using (var adapters = method == TrainingMethod.Lora ? CliAdapters.Activate(model, result.OutputPath) : null)
                    after = Perplexity.Compute(model, heldOut, 256, 256).Perplexity;
                long bytes = Directory.EnumerateFiles(result.OutputPath).Sum(f => new FileInfo(f).Length);
                return string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {method} | {result.TrainableParameters:N0} | {result.TokensPerSecond:F0} | {peak:F0} MB | {bytes / 1048576.0:F2} MB | {before:F2} → {after:F2} |");
            });
            Console.WriteLine(line);
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
