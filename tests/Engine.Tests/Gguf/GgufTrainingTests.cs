using System.Security.Cryptography;
using System.Text.Json.Nodes;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;
using WebUI.Engine.Training;

namespace WebUI.Engine.Tests;

/// <summary>LoRA and full fine-tuning on a GGUF base, as on a Hugging Face folder; the output names the GGUF and its SHA-256.</summary>
public sealed class GgufTrainingTests : IDisposable
{
    private readonly StudioPaths paths = new(TinyModels.TempDir());
    private readonly StudioEngine engine;
    private readonly string gguf;

    public GgufTrainingTests()
    {
        engine = new StudioEngine(paths);
        using var stories = ModelLoader.Load(TinyModels.StoriesDir, ComputeDevice.Cpu);
        gguf = Path.Combine(paths.Models, "stories.gguf");
        GgufExport.WriteModel(stories, gguf, GgmlType.F32);
        File.WriteAllText(Path.Combine(paths.Datasets, "sue.txt"),
            string.Concat(Enumerable.Repeat("Once upon a time, there was a little girl named Sue. She liked to play.\n", 40)));
    }

    public void Dispose()
    {
        engine.Dispose();
        try { Directory.Delete(paths.Root, recursive: true); } catch (IOException) { }
    }

    private async Task<TrainingEvent> TrainAsync(TrainingMethod method, string name)
    {
        var ended = new TaskCompletionSource<TrainingEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.TrainingEvents += e => { if (e.Kind is TrainingEventKind.Finished or TrainingEventKind.Failed) ended.TrySetResult(e); };
        await engine.StartTrainingAsync(new TrainingOptions
        {
            OutputName = name, Method = method, Epochs = 1, MicroBatchSize = 2, BatchSize = 4, LearningRate = 1e-3, SaveEvery = 0,
            Data = new DatasetOptions { DatasetPath = Path.Combine(paths.Datasets, "sue.txt"), Cutoff = 64, Overlap = 0 },
            Lora = new LoraOptions { Rank = 4, Alpha = 8 },
        });
        return await ended.Task.WaitAsync(TimeSpan.FromMinutes(3));
    }

    private JsonNode BaseFileRecord(string outputFolder) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(outputFolder, TrainingRecordFiles.ParametersFileName)))!["base_model_file"]!;

    [Fact]
    public async Task A_lora_trained_on_a_gguf_base_records_the_file_and_its_sha256_and_applies()
    {
        Assert.Contains(engine.ListModels(), m => m.Name == "stories.gguf" && m.Format == "GGUF F32");
        await engine.LoadModelAsync("stories.gguf");
        var end = await TrainAsync(TrainingMethod.Lora, "sue-lora");
        Assert.True(end.Kind == TrainingEventKind.Finished, end.Message);

        var record = BaseFileRecord(Path.Combine(paths.Loras, "sue-lora"));
        Assert.Equal("stories.gguf", record["file"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(gguf))), record["sha256"]!.GetValue<string>());
        await engine.ApplyAdaptersAsync([new AdapterWeight("sue-lora", 1)]);
    }

    [Fact]
    public async Task A_full_fine_tune_of_a_gguf_base_is_a_hugging_face_folder_that_loads()
    {
        await engine.LoadModelAsync("stories.gguf");
        var end = await TrainAsync(TrainingMethod.Full, "sue-full");
        Assert.True(end.Kind == TrainingEventKind.Finished, end.Message);

        var output = Path.Combine(paths.Models, "sue-full");
        Assert.Equal("stories.gguf", BaseFileRecord(output)["file"]!.GetValue<string>());
        using var tuned = ModelLoader.Load(output, ComputeDevice.Cpu);
        Assert.Equal(ModelFormat.HuggingFace, tuned.Source.Format);
        using var original = ModelLoader.Load(gguf, ComputeDevice.Cpu);
        Assert.Equal(original.Tokenizer.Encode("Once upon a time, Sue"), tuned.Tokenizer.Encode("Once upon a time, Sue"));
    }
}
