using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;
using WebUI.Engine.Tests.Adapters;
using WebUI.Engine.Training;

namespace WebUI.Engine.Tests;

/// <summary>Staged fine-tuning on a merged base: the merge records what went in, and a run trained on it shows that lineage.</summary>
public sealed class MergedBaseLineageTests : IDisposable
{
    private readonly StudioPaths paths = new(TinyModels.TempDir());
    private readonly StudioEngine engine;

    public MergedBaseLineageTests()
    {
        engine = new StudioEngine(paths);
        using var stories = ModelLoader.Load(TinyModels.StoriesDir, ComputeDevice.Cpu);
        HfModelWriter.Write(stories, Path.Combine(paths.Models, "stories"));
        using var sue = TestAdapters.Random(stories, seed: 2, name: "sue");
        sue.Save(Path.Combine(paths.Loras, "sue"));
        File.WriteAllText(Path.Combine(paths.Datasets, "tom.txt"),
            string.Concat(Enumerable.Repeat("Once upon a time, there was a little boy named Tom. He liked to run.\n", 40)));
    }

    public void Dispose()
    {
        engine.Dispose();
        try { Directory.Delete(paths.Root, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_lora_trained_on_a_merged_model_names_the_base_and_what_was_merged_into_it()
    {
        await engine.LoadModelAsync("stories");
        await engine.ApplyAdaptersAsync([new AdapterWeight("sue", 0.5)]);
        var merged = await engine.ExportMergedAsync("stories+sue");
        Assert.True(File.Exists(Path.Combine(merged, AdapterMerger.RecordFileName)));

        await engine.LoadModelAsync("stories+sue");
        var ended = new TaskCompletionSource<TrainingEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.TrainingEvents += e => { if (e.Kind is TrainingEventKind.Finished or TrainingEventKind.Failed) ended.TrySetResult(e); };
        await engine.StartTrainingAsync(new TrainingOptions
        {
            OutputName = "tom", Epochs = 1, MicroBatchSize = 2, BatchSize = 4, SaveEvery = 0,
            Data = new DatasetOptions { DatasetPath = Path.Combine(paths.Datasets, "tom.txt"), Cutoff = 64, Overlap = 0 },
            Lora = new LoraOptions { Rank = 4, Alpha = 8 },
        });
        var end = await ended.Task.WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(end.Kind == TrainingEventKind.Finished, end.Message);

        var run = Assert.Single(engine.ListRuns(), r => r.Name == "tom");
        Assert.Equal("on stories + sue ×0.5 (merged)", run.Lineage);
        Assert.Equal("stories+sue", run.BaseModel);
    }
}
