using WebUI.Components.Training;
using System.Text;
using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using WebUI.Components.Pages;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;
using WebUI.Services;

namespace WebUI.Tests.Components;

/// <summary>A studio root of its own with stories260K in models/ and loaded, shared by the Training tab's tests.</summary>
public sealed class TrainingTabFixture : IDisposable
{
    public TrainingTabFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "webui-training-tab", Guid.NewGuid().ToString("N"));
        Paths = new StudioPaths(Root);
        var model = Directory.CreateDirectory(Path.Combine(Paths.Models, "stories260K")).FullName;
        foreach (var file in Directory.GetFiles(WebUI.Engine.Tests.SharedModels.Dir("stories260K")))
            File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        Engine = new StudioEngine(Paths);
        Engine.LoadModelAsync("stories260K").GetAwaiter().GetResult();
    }

    public string Root { get; }
    public StudioPaths Paths { get; }
    public StudioEngine Engine { get; }

    public void Dispose()
    {
        Engine.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The Training tab rendered with bUnit against the real engine and stories260K.</summary>
public sealed class TrainingTabTests : IClassFixture<TrainingTabFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(3);
    private readonly TrainingTabFixture fixture;
    private readonly BunitContext context = new();

    public TrainingTabTests(TrainingTabFixture fixture)
    {
        this.fixture = fixture;
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        BunitContext.DefaultWaitTimeout = TimeSpan.FromSeconds(30); // as StudioTestContext: the suite shares two cores, a render can wait for a thread
        context.Services.AddMudServices();
        context.Services.AddSingleton(fixture.Engine);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor registers services that can only be disposed asynchronously.
    public async Task DisposeAsync() => await context.DisposeAsync();

    [Fact]
    public async Task The_form_shows_text_generation_webui_labels_with_the_engine_defaults()
    {
        var tab = RenderTab();
        var expected = new Dictionary<string, string>
        {
            ["LoRA Rank"] = "8", ["LoRA Alpha"] = "16", ["LoRA Dropout"] = "0.05", ["Learning Rate"] = "0.0003", ["LR Scheduler"] = "cosine",
            ["Warmup Steps"] = "0", ["Epochs"] = "3", ["Micro Batch Size"] = "4", ["Batch Size"] = "16", ["Cutoff Length"] = "256",
            ["Overlap Length"] = "128", ["Hard Cut String"] = @"\n\n\n", ["Train Only After"] = "", ["Evaluate every n steps"] = "0",
            ["Save every n steps"] = "0", ["Stop at loss"] = "", ["Seed"] = "42", ["Name"] = "", ["Format"] = "None", ["Evaluation Dataset"] = "None",
        };
        foreach (var (label, value) in expected) Assert.True(value == Value(tab, label), $"{label}: expected '{value}', got '{Value(tab, label)}'");
        foreach (var label in new[] { "Add EOS token", "Gradient checkpointing", "Resume", "Overwrite" }) Assert.Equal("checkbox", Field(tab, label).GetAttribute("type"));
        Assert.False(Field(tab, "Overwrite").IsChecked());
        Assert.True(Field(tab, "Add EOS token").IsChecked());
        Assert.True(Field(tab, "Gradient checkpointing").IsChecked());
        Assert.False(Field(tab, "Resume").IsChecked());
        Assert.Contains("Target Modules", tab.Markup);
        Assert.True(Field(tab, "All linear layers (except the output head)").IsChecked());
        Assert.False(Button(tab, "Start Training").HasAttribute("disabled"));
        Assert.True(Button(tab, "Stop").HasAttribute("disabled"), "nothing is training, so there is nothing to stop");
        tab.WaitForAssertion(() => Assert.Contains("memory available now", tab.Find("[data-testid=memory-estimate]").TextContent));

        Assert.DoesNotContain("Freeze embeddings", tab.Markup);
        await tab.InvokeAsync(() => tab.FindAll("input[type=radio]").Single(r => r.ParentElement!.ParentElement!.TextContent.Contains("Full")).Click());
        Assert.False(Field(tab, "Freeze embeddings").IsChecked());
        Assert.DoesNotContain("LoRA Rank", tab.Markup);
    }

    [Fact]
    public async Task LoRA_or_full_sets_the_two_methods_side_by_side_for_the_loaded_model_and_dataset()
    {
        var tab = RenderTab();
        Upload(tab, "advice.txt", TinyStories());
        await ChangeAsync(tab, "LoRA Rank", "4");
        using var worker = new TorchWorker("advice-test"); // the count is checked against a real adapter of that rank
        var (loraParameters, tensors) = await worker.Run(() =>
        {
            using var model = ModelLoader.Load(Path.Combine(fixture.Paths.Models, "stories260K"), ComputeDevice.Cpu);
            using var adapter = LoraAdapter.CreateTrainable("count", model.Model, new LoraOptions { Rank = 4 }, 1, "stories260K");
            return (adapter.Parameters().Sum(p => p.numel()), adapter.Parameters().Count());
        });

        tab.WaitForAssertion(() => Assert.StartsWith(WebUI.Components.Layout.Units.Count(loraParameters) + " (", Row(tab, "trainable")[1]));
        Assert.StartsWith(WebUI.Components.Layout.Units.Count(fixture.Engine.Model!.Parameters) + " (100%)", Row(tab, "trainable")[2]);
        Assert.Equal(WebUI.Components.Layout.Units.Bytes(fixture.Engine.Model.WeightBytes), Row(tab, "output")[2]);
        Assert.Equal(WebUI.Components.Layout.Units.Bytes(loraParameters * 4 + tensors * 128), Row(tab, "output")[1]); // fp32, and each tensor's header entry
        tab.WaitForAssertion(() => Assert.DoesNotContain("after the dataset check", Row(tab, "epoch")[1]), Slow);
    }

    [Fact]
    public async Task Export_as_job_writes_the_run_for_axolotl_and_llama_factory_into_jobs()
    {
        var tab = RenderTab();
        Upload(tab, "job-stories.txt", TinyStories());
        tab.WaitForAssertion(() => Assert.Equal("job-stories", Value(tab, "Name")));
        await ChangeAsync(tab, "LoRA Rank", "4");

        await ClickAsync(tab, "Export as job");

        var job = Path.Combine(fixture.Paths.Jobs, "job-stories");
        tab.WaitForAssertion(() => Assert.Contains(job, tab.Find("[data-testid=job-message]").TextContent), Slow);
        Assert.Contains("lora_r: 4", File.ReadAllText(Path.Combine(job, "axolotl.yaml")));
        Assert.True(File.Exists(Path.Combine(job, "data", "train.jsonl")));
        Assert.False(fixture.Engine.IsTraining, "exporting a job trains nothing here");
    }

    private static string[] Row(IRenderedComponent<IComponent> tab, string row) =>
        [.. tab.Find($"[data-testid=method-advice] tr[data-row={row}]").Children.Select(c => c.TextContent.Trim())];

    [Fact]
    public async Task A_dropped_file_is_saved_and_selected_and_a_second_one_of_that_name_does_not_replace_it()
    {
        var tab = RenderTab();
        Assert.Contains("Saved My stories.txt", Upload(tab, "My stories.txt", "Once upon a time there was a cat."));
        var first = Path.Combine(fixture.Paths.Datasets, "My stories.txt");
        Assert.Equal("Once upon a time there was a cat.", File.ReadAllText(first));
        tab.WaitForAssertion(() => Assert.Equal("My stories.txt", Value(tab, "Dataset")));
        Assert.Equal("My-stories", Value(tab, "Name"));

        Assert.Contains("saved as My stories (2).txt", Upload(tab, "My stories.txt", "A different file."));
        Assert.Equal("Once upon a time there was a cat.", File.ReadAllText(first));
        Assert.Equal("A different file.", File.ReadAllText(Path.Combine(fixture.Paths.Datasets, "My stories (2).txt")));
        tab.WaitForAssertion(() => Assert.Equal("My stories (2).txt", Value(tab, "Dataset")));
        Assert.Empty(Directory.GetFiles(fixture.Paths.Datasets, "*.tmp-*"));
    }

    [Fact]
    public async Task A_name_being_typed_is_kept_when_a_dataset_is_dropped_meanwhile()
    {
        var tab = RenderTab();
        // Keystrokes, not a committed change: the field has not lost focus yet.
        await tab.InvokeAsync(() => Field(tab, "Name").Input("zara"));
        Assert.Contains("Saved crash.txt", Upload(tab, "crash.txt", "Once upon a time there was a crash."));
        tab.WaitForAssertion(() => Assert.Equal("crash.txt", Value(tab, "Dataset")));
        Assert.Equal("zara", Value(tab, "Name"));
    }

    [Fact]
    public async Task Files_of_other_types_and_names_with_paths_are_refused_with_a_message()
    {
        var tab = RenderTab();
        Assert.Contains("only .txt (raw text), .json and .jsonl", Upload(tab, "table.csv", "a,b"));
        Assert.Contains("not a plain file name", Upload(tab, "../escape.txt", "x"));
        Assert.Contains("not a plain file name", Upload(tab, "..%2Fescape.txt", "x"));
        Assert.Contains("is empty (0 bytes)", Upload(tab, "nothing.txt", ""));
        Assert.False(File.Exists(Path.Combine(fixture.Paths.Root, "training", "escape.txt")));
        Assert.DoesNotContain(Directory.GetFiles(fixture.Paths.Datasets), f => f.EndsWith(".csv") || f.EndsWith("escape.txt") || f.EndsWith("nothing.txt"));
    }

    [Fact]
    public async Task A_file_over_the_size_limit_is_refused_before_anything_is_written()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            DatasetUploads.SaveAsync(fixture.Paths.Datasets, "huge.txt", DatasetUploads.MaxBytes + 1, new MemoryStream([1]), CancellationToken.None));
        Assert.Contains("datasets can be at most 100 MB", error.Message);
        Assert.DoesNotContain(Directory.GetFiles(fixture.Paths.Datasets), f => f.Contains("huge") || f.Contains(".tmp-"));
    }

    [Fact]
    public async Task The_dataset_check_counts_the_rows_and_marks_what_is_not_trained()
    {
        var tab = RenderTab();
        var rows = Enumerable.Range(1, 5).Select(i =>
            $$"""{"messages": [{"role": "user", "content": "Who is friend {{i}}?"}, {"role": "assistant", "content": "Friend {{i}} is a little dog."}]}""");
        Upload(tab, "five-chats.jsonl", string.Join("\n", rows));
        tab.WaitForAssertion(() => Assert.Equal("5", FactValue(tab, "Rows")), Slow);
        Assert.Equal("5", FactValue(tab, "Examples"));
        Assert.Equal("conversations", FactValue(tab, "Kind"));
        var sample = tab.FindAll("[data-testid=dataset-sample]")[0];
        Assert.Contains("Who is friend 1?", sample.QuerySelector(".studio-sample-masked")!.TextContent);
        Assert.Contains("Friend 1 is a little dog.", sample.QuerySelector(".studio-sample-trained")!.TextContent);
    }

    private const string RsLora = "rsLoRA: scale by alpha / √rank (keeps high ranks learning)";
    private const string Dora = "DoRA: also train a magnitude per output row (closer to full fine-tuning, slower steps)";

    [Fact]
    public async Task Start_Training_shows_progress_and_then_where_the_adapter_was_saved()
    {
        var tab = RenderTab();
        Upload(tab, "tiny-train.txt", TinyStories());
        tab.WaitForAssertion(() => Assert.Equal("tiny-train", Value(tab, "Name")));
        tab.WaitForAssertion(() => Assert.Equal("1", FactValue(tab, "Rows")), Slow);
        await ChangeAsync(tab, "Epochs", "2");
        await ChangeAsync(tab, "Batch Size", "4");
        await ChangeAsync(tab, "LoRA Rank", "4");
        await tab.InvokeAsync(() => Field(tab, RsLora).Change(true));
        await tab.InvokeAsync(() => Field(tab, Dora).Change(true));

        await ClickAsync(tab, "Start Training");
        tab.WaitForAssertion(() => Assert.Contains("Training finished", tab.Find("[data-testid=training-outcome]").TextContent), Slow);
        var output = Path.Combine(fixture.Paths.Loras, "tiny-train");
        Assert.Contains(output, tab.Find("[data-testid=training-outcome]").TextContent);
        Assert.True(File.Exists(Path.Combine(output, "adapter_model.safetensors")));
        var adapterConfig = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(output, "adapter_config.json")))!;
        Assert.True(adapterConfig["use_rslora"]!.GetValue<bool>());
        Assert.True(adapterConfig["use_dora"]!.GetValue<bool>());
        var steps = fixture.Engine.Training.Result!.Steps;
        Assert.True(steps >= 4, $"{steps} steps");
        Assert.Equal($"{steps} / {steps}", FactValue(tab, "Step"));
        Assert.Contains($"step {steps}/{steps}", tab.Find("[data-testid=training-log]").TextContent);
        Assert.Matches(@"^Peak memory [\d.]+ [KMG]?B \(estimated [\d.]+ [KMG]?B\)\.$", tab.Find("[data-testid=measured-memory]").TextContent.Trim());
        Assert.Matches(@"^Output [\d.]+ [KMG]?B \(estimated [\d.]+ [KMG]?B\)\.$", tab.Find("[data-testid=measured-output]").TextContent.Trim());
        Assert.StartsWith("Time per epoch ~", tab.Find("[data-testid=measured-epoch]").TextContent.Trim());
        // The output estimate is the adapter's tensors and an allowance for the file's header: within 5% either way.
        var estimated = RunEstimate.OutputBytesOf(fixture.Engine.Model!, (await fixture.Engine.ModelShapeAsync())!,
            new TrainingForm { LoraRank = 4, UseDora = true }, WebUI.Engine.Training.TrainingMethod.Lora);
        var written = new FileInfo(Path.Combine(output, "adapter_model.safetensors")).Length;
        Assert.InRange((double)written / estimated, 0.95, 1.05);

        // A tab opened after this one is closed shows the finished run from the engine's snapshot.
        await context.DisposeComponentsAsync();
        var late = RenderTab();
        Assert.Contains("Training finished", late.Find("[data-testid=training-outcome]").TextContent);
        Assert.Equal($"{steps} / {steps}", FactValue(late, "Step"));

        // Copy parameters from lists the run and fills the form from its training_parameters.json.
        await ChangeAsync(late, "LoRA Rank", "32");
        await ChangeAsync(late, "Epochs", "7");
        await late.InvokeAsync(() => Field(late, RsLora).Change(false));
        await late.InvokeAsync(() => Field(late, Dora).Change(false));
        Assert.False(IsChecked(late, RsLora));
        await ChooseOptionAsync(late, "Copy parameters from", "loras/tiny-train");
        late.WaitForAssertion(() => Assert.Equal("4", Value(late, "LoRA Rank")));
        Assert.Equal("2", Value(late, "Epochs"));
        late.WaitForAssertion(() => Assert.True(IsChecked(late, RsLora)));
        Assert.True(IsChecked(late, Dora));
        Assert.Equal("tiny-train.txt", Value(late, "Dataset"));
        late.WaitForAssertion(() => Assert.Contains("loras/tiny-train exists already", Helper(late, "Name")));
    }

    [Fact]
    public async Task An_invalid_batch_size_is_explained_at_the_field_and_nothing_starts()
    {
        var tab = RenderTab();
        Upload(tab, "tiny-invalid.txt", TinyStories());
        var before = fixture.Engine.Training;
        await ChangeAsync(tab, "Batch Size", "10");
        const string message = "batch size (10) must be a multiple of micro batch size (4)";
        tab.WaitForAssertion(() => Assert.Contains(message, Helper(tab, "Batch Size")));

        await ClickAsync(tab, "Start Training");
        Assert.Contains(message, tab.Find("[data-testid=form-problem]").TextContent);
        Assert.False(fixture.Engine.IsTraining);
        Assert.Same(before, fixture.Engine.Training);
        Assert.False(Directory.Exists(Path.Combine(fixture.Paths.Loras, "tiny-invalid")));
    }

    [Fact]
    public async Task Overlap_and_batch_size_follow_the_cutoff_and_micro_batch_until_the_user_sets_them()
    {
        var tab = RenderTab();
        Upload(tab, "tiny-derived.txt", TinyStories());
        await ChangeAsync(tab, "Cutoff Length", "128");
        await ChangeAsync(tab, "Micro Batch Size", "32");
        tab.WaitForAssertion(() => Assert.Equal("64", Value(tab, "Overlap Length")));
        Assert.Contains("(half the cutoff)", Helper(tab, "Overlap Length"));
        Assert.Equal("32", Value(tab, "Batch Size"));
        Assert.Contains("1 accumulated", Helper(tab, "Batch Size"));

        await ChangeAsync(tab, "Overlap Length", "100");
        await ChangeAsync(tab, "Cutoff Length", "64");
        const string message = "Overlap Length must be 0..63 (less than Cutoff Length 64), not 100";
        tab.WaitForAssertion(() => Assert.Contains(message, Helper(tab, "Overlap Length")));
        Assert.DoesNotContain("half the cutoff", Helper(tab, "Overlap Length"));
    }

    private IRenderedComponent<IComponent> RenderTab() => context.Render(b =>
    {
        b.OpenComponent<MudPopoverProvider>(0);
        b.CloseComponent();
        b.OpenComponent<Training>(1);
        b.CloseComponent();
    });

    private static string TinyStories()
    {
        var text = new StringBuilder();
        for (int i = 0; i < 40; i++)
            text.Append("Once upon a time, there was a little girl named Sue. She liked to play in the park with her red ball.\n");
        return text.ToString();
    }

    /// <summary>Drops a file on the tab and waits until it is saved or refused; returns what the tab says about it.</summary>
    private static string Upload(IRenderedComponent<IComponent> tab, string name, string text)
    {
        // Starting an upload clears the previous message; the next one appears when this upload is done. (Not on the
        // dispatcher: bUnit waits for the upload handler, whose file writes continue on the dispatcher.)
        tab.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(text, name));
        return tab.WaitForElement("[data-testid=upload-message]", Slow).TextContent;
    }

    /// <summary>The form control a visible label names: the input its label points at, or the one inside the label.</summary>
    private static IElement Field(IRenderedComponent<IComponent> tab, string label)
    {
        var element = tab.FindAll("label").First(l => l.TextContent.Trim() == label);
        return element.GetAttribute("for") is { } id ? tab.Find($"#{id}") : element.QuerySelector("input")!;
    }

    private static bool IsChecked(IRenderedComponent<IComponent> tab, string label) =>
        ((AngleSharp.Html.Dom.IHtmlInputElement)Field(tab, label)).IsChecked;

    private static string Value(IRenderedComponent<IComponent> tab, string label) => Field(tab, label).GetAttribute("value") ?? "";

    private static string Helper(IRenderedComponent<IComponent> tab, string label) =>
        Field(tab, label).Closest(".mud-input-control")!.QuerySelector(".mud-input-helper-text")!.TextContent;

    private static IElement Button(IRenderedComponent<IComponent> tab, string text) =>
        tab.FindAll("button").First(b => b.TextContent.Trim() == text);

    // The page re-renders on its own (dataset check, shape, progress), which can replace an element's handler between
    // finding it and firing an event on it; on the renderer's dispatcher nothing renders in between.
    private static Task ClickAsync(IRenderedComponent<IComponent> tab, string text) => tab.InvokeAsync(() => Button(tab, text).Click());

    private static Task ChangeAsync(IRenderedComponent<IComponent> tab, string label, string value) =>
        tab.InvokeAsync(() => Field(tab, label).Change(value));

    private static string FactValue(IRenderedComponent<IComponent> tab, string label) =>
        tab.FindAll(".studio-fact").First(f => f.Children[0].TextContent.Trim() == label).Children[1].TextContent.Trim();

    private static async Task ChooseOptionAsync(IRenderedComponent<IComponent> tab, string label, string option)
    {
        var select = tab.FindComponents<MudSelect<string>>().First(s => s.Instance.Label == label);
        await tab.InvokeAsync(() => select.Find("div.mud-input-control").MouseDown());
        tab.WaitForAssertion(() => Assert.Contains(tab.FindAll(".mud-popover-open .mud-list-item"), i => i.TextContent.Trim() == option));
        await tab.InvokeAsync(() => tab.FindAll(".mud-popover-open .mud-list-item").First(i => i.TextContent.Trim() == option).Click());
    }
}
