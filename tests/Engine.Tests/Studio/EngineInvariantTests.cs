using Microsoft.Extensions.Logging;
using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;
using WebUI.Engine.Training;

namespace WebUI.Engine.Tests;

/// <summary>
/// What the engine promises when two threads meet: a subscriber that throws never fails a load or a run, an export
/// never reads weights that full fine-tuning is changing, and a model whose chat template cannot be used still loads.
/// </summary>
public sealed class EngineInvariantTests : IDisposable
{
    private readonly StudioPaths paths = new(TinyModels.TempDir());
    private readonly CapturingLogger log = new();
    private readonly StudioEngine engine;

    public EngineInvariantTests()
    {
        engine = new StudioEngine(paths, logger: log);
        using var stories = ModelLoader.Load(TinyModels.StoriesDir, ComputeDevice.Cpu);
        HfModelWriter.Write(stories, Path.Combine(paths.Models, "stories"));
        File.WriteAllText(Path.Combine(paths.Datasets, "stories.txt"),
            string.Concat(Enumerable.Repeat("Once upon a time, there was a little girl named Sue. She liked to play.\n", 40)));
    }

    public void Dispose()
    {
        engine.Dispose();
        try { Directory.Delete(paths.Root, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_throwing_subscriber_is_logged_and_neither_the_load_nor_the_training_run_fails()
    {
        var events = new List<TrainingEvent>();
        var ended = new TaskCompletionSource<TrainingEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.Changed += () => throw new InvalidOperationException("a broken page");
        engine.TrainingEvents += _ => throw new InvalidOperationException("a broken chart");
        engine.TrainingEvents += e =>
        {
            lock (events) events.Add(e);
            if (e.Kind is TrainingEventKind.Finished or TrainingEventKind.Failed) ended.TrySetResult(e);
        };

        await engine.LoadModelAsync("stories");
        await engine.StartTrainingAsync(LoraRun("isolated"));
        var end = await ended.Task.WaitAsync(TimeSpan.FromMinutes(3));

        Assert.True(end.Kind == TrainingEventKind.Finished, end.Message);
        lock (events) Assert.Contains(events, e => e.Kind == TrainingEventKind.Progress);
        Assert.True(File.Exists(Path.Combine(paths.Loras, "isolated", "adapter_model.safetensors")));
        Assert.Contains(log.Errors, e => e.Message == "a broken page");
        Assert.Contains(log.Errors, e => e.Message == "a broken chart");
    }

    [Fact]
    public async Task Training_started_while_another_model_loads_waits_and_trains_the_new_one()
    {
        var other = Path.Combine(paths.Models, "stories-b");
        Directory.CreateDirectory(other);
        foreach (var file in Directory.GetFiles(Path.Combine(paths.Models, "stories"))) File.Copy(file, Path.Combine(other, Path.GetFileName(file)));
        var ended = new TaskCompletionSource<TrainingEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.TrainingEvents += e => { if (e.Kind is TrainingEventKind.Finished or TrainingEventKind.Failed) ended.TrySetResult(e); };
        await engine.LoadModelAsync("stories");

        var loading = engine.LoadModelAsync("stories-b"); // holds the gate from here until the new model is in place
        var training = engine.StartTrainingAsync(LoraRun("after-load"));
        await Task.WhenAll(loading, training);
        var end = await ended.Task.WaitAsync(TimeSpan.FromMinutes(3));

        Assert.True(end.Kind == TrainingEventKind.Finished, end.Message);
        Assert.Equal("stories-b", engine.Model!.Name);
        Assert.Contains("stories-b", File.ReadAllText(Path.Combine(paths.Loras, "after-load", "adapter_config.json")));
    }

    [Fact]
    public async Task Export_is_refused_while_full_fine_tuning_changes_the_weights()
    {
        var firstStep = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new TaskCompletionSource<TrainingEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.TrainingEvents += e =>
        {
            if (e.Kind == TrainingEventKind.Progress) firstStep.TrySetResult();
            if (e.Kind is TrainingEventKind.Finished or TrainingEventKind.Failed) ended.TrySetResult(e);
        };
        await engine.LoadModelAsync("stories");
        await engine.StartTrainingAsync(LoraRun("full") with { Method = TrainingMethod.Full, Epochs = 1000 });
        await firstStep.Task.WaitAsync(TimeSpan.FromMinutes(2));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.ExportMergedAsync("half-trained"));
        Assert.Contains("full fine-tuning", refused.Message);
        Assert.False(Directory.Exists(Path.Combine(paths.Models, "half-trained")));

        engine.StopTraining();
        Assert.Equal(TrainingOutcome.Cancelled, (await ended.Task.WaitAsync(TimeSpan.FromMinutes(2))).Result!.Outcome);
        Assert.Equal(Path.Combine(paths.Models, "half-trained"), await engine.ExportMergedAsync("half-trained"));
    }

    [Fact]
    public async Task A_model_whose_chat_template_passes_a_limit_loads_with_a_warning_and_chats_in_plain_text()
    {
        var model = await LoadWithTemplateAsync("{% for i in range(100000000) %}{{ i }}{% endfor %}");

        Assert.Null(model.ChatTemplateName);
        Assert.StartsWith("the model's chat template cannot be used: ", model.ChatTemplateWarning);
        Assert.EndsWith($"; chat falls back to {ChatTemplate.PlainText.Name}", model.ChatTemplateWarning);
        Assert.Equal(ChatTemplate.BuiltIn.Select(t => t.Name), engine.ChatTemplates().Select(t => t.Name));
        Assert.Contains(log.Warnings, w => w.Contains("cannot be used"));

        var reply = "";
        await foreach (var chunk in engine.ChatAsync([new("user", "Once upon a time")], ChatTemplate.PlainText.Name, GenerationOptions.Greedy(8)))
            reply += chunk.Text;
        Assert.NotEmpty(reply);
    }

    [Fact]
    public async Task A_model_whose_chat_template_renders_offers_it_first_without_a_warning()
    {
        var model = await LoadWithTemplateAsync("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}");

        Assert.Null(model.ChatTemplateWarning);
        Assert.Equal("Model (stories)", model.ChatTemplateName);
        Assert.Equal("Model (stories)", engine.ChatTemplates()[0].Name);
    }

    // The stories model with this chat_template in its tokenizer_config.json, loaded.
    private Task<LoadedModelInfo> LoadWithTemplateAsync(string template)
    {
        File.WriteAllText(Path.Combine(paths.Models, "stories", "tokenizer_config.json"),
            System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["chat_template"] = template }));
        return engine.LoadModelAsync("stories");
    }

    private TrainingOptions LoraRun(string name) => new()
    {
        OutputName = name, Data = new DatasetOptions { DatasetPath = Path.Combine(paths.Datasets, "stories.txt"), Cutoff = 64, Overlap = 0 },
        Epochs = 1, MicroBatchSize = 2, BatchSize = 4, LearningRate = 1e-3, SaveEvery = 0, Lora = new LoraOptions { Rank = 4, Alpha = 8 },
    };

    /// <summary>Keeps what the engine logs at warning and error level.</summary>
    private sealed class CapturingLogger : ILogger<StudioEngine>
    {
        private readonly List<string> warnings = [];
        private readonly List<Exception> errors = [];

        public IReadOnlyList<string> Warnings { get { lock (warnings) return [.. warnings]; } }
        public IReadOnlyList<Exception> Errors { get { lock (errors) return [.. errors]; } }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning) lock (warnings) warnings.Add(formatter(state, exception));
            if (logLevel >= LogLevel.Error && exception is not null) lock (errors) errors.Add(exception);
        }
    }
}
