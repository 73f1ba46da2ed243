using System.Text.Json;
using System.Text.Json.Nodes;
using Bunit;
using Bunit.Rendering;
using WebUI.Components.Pages;
using WebUI.Components.Runs;
using WebUI.Engine.Training;

namespace WebUI.Tests.Components;

/// <summary>The Runs tab lists runs from their records (and stopped ones from checkpoints) and compares the ticked ones.</summary>
public sealed class RunsTabTests : StudioTestContext
{
    /// <param name="tokensPerStep">Tokens trained on per step, written into the curves (as local runs do now); null leaves them out, as older logs do.</param>
    private void WriteRun(string name, double learningRate, double finalLoss, DateTime written, long? tokensPerStep = null)
    {
        JsonObject Point(int step, double loss)
        {
            var point = new JsonObject { ["step"] = step, ["loss"] = loss };
            if (tokensPerStep is { } perStep) point["tokens"] = step * perStep;
            return point;
        }
        var folder = Directory.CreateDirectory(Path.Combine(Engine.Paths.Loras, name)).FullName;
        var weights = Path.Combine(folder, "adapter_model.safetensors");
        if (!File.Exists(weights)) File.WriteAllText(weights, new string('x', 2048)); // only its size is shown
        File.WriteAllText(Path.Combine(folder, "training_parameters.json"), new JsonObject
        {
            ["method"] = "lora", ["base_model"] = ModelName, ["learning_rate"] = learningRate,
            ["lora"] = new JsonObject { ["rank"] = 8, ["alpha"] = 16 },
            ["dataset"] = new JsonObject { ["file"] = "sue.txt", ["sha256"] = "0123456789abcdef" },
        }.ToJsonString());
        var log = Path.Combine(folder, "training_log.json");
        File.WriteAllText(log, new JsonObject
        {
            ["steps"] = 2, ["train_loss"] = finalLoss, ["eval_loss"] = finalLoss + 0.5, ["tokens_per_second"] = 1500.0, ["peak_memory_mb"] = 200.0,
            ["trainable_parameters"] = 4600, ["model_parameters"] = 260000,
            ["train_curve"] = new JsonArray(Point(1, 3.0), Point(2, finalLoss)),
            ["eval_curve"] = new JsonArray(Point(2, finalLoss + 0.5)),
            ["forgetting"] = new JsonObject { ["reference"] = "lily.txt", ["perplexity_before"] = 3.5, ["perplexity_after"] = 3.9 },
        }.ToJsonString());
        File.SetLastWriteTime(log, written);
    }

    [Fact]
    public async Task Runs_are_listed_with_their_figures_and_ticked_ones_are_compared()
    {
        WriteRun("first", 2e-3, 1.5, DateTime.Now.AddHours(-2));
        WriteRun("second", 5e-3, 1.2, DateTime.Now.AddHours(-1), tokensPerStep: 512);
        Directory.CreateDirectory(Path.Combine(Engine.Paths.Loras, "no-records")); // an adapter without training records is not a run
        var stopped = Directory.CreateDirectory(Path.Combine(Engine.Paths.Checkpoints, "halfway", "checkpoint-000003")).FullName;
        var state = TrainingState.Fresh().After(2.5, 100, 1).After(2.25, 100, 2).After(2.0, 100, 3);
        File.WriteAllText(Path.Combine(stopped, "trainer_state.json"), JsonSerializer.Serialize(state));

        var page = Render<Runs>();

        Assert.Equal(["halfway", "second", "first"], page.FindAll("tr[data-run]").Select(r => r.GetAttribute("data-run")));
        var second = page.Find("tr[data-run=second]").TextContent;
        Assert.Contains("1.2000", second);
        Assert.Contains("3.50 → 3.90 on lily.txt", second);
        Assert.Contains("(1.77%)", second); // 4,600 of 260,000 parameters trained
        Assert.Contains("01234567", second);
        Assert.Contains("stopped", page.Find("tr[data-run=halfway]").TextContent);
        Assert.Contains("2.0000", page.Find("tr[data-run=halfway]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=run-comparison]"));

        await page.InvokeAsync(() => page.Find("input[aria-label='Compare first']").Change(true));
        await page.InvokeAsync(() => page.Find("input[aria-label='Compare second']").Change(true));

        page.WaitForElement("[data-testid=run-comparison]");
        Assert.Equal(["second train", "second eval", "first train", "first eval"], page.FindComponent<RunCurves>().Instance.TraceNames);
        Assert.Contains("studio-diff", page.Find("tr[data-setting=learning_rate]").ClassList);
        Assert.DoesNotContain("studio-diff", page.Find("tr[data-setting='lora.rank']").ClassList);

        // By tokens seen: only the run whose log counts them is drawn, the other is named.
        await page.InvokeAsync(() => page.FindAll("label").Single(l => l.TextContent.Trim() == "By tokens seen").QuerySelector("input")!.Change(true));
        page.WaitForAssertion(() => Assert.Equal(["second train", "second eval"], page.FindComponent<RunCurves>().Instance.TraceNames));
        Assert.Contains("first", page.Find("[data-testid=curves-without-tokens]").TextContent);
    }

    [Fact]
    public async Task A_run_trained_elsewhere_is_imported_from_the_tab_and_listed_with_its_curve()
    {
        WriteAdapter("elsewhere");
        var outside = Path.Combine(Root, "axolotl-out");
        Directory.Move(Path.Combine(Engine.Paths.Loras, "elsewhere"), outside);
        File.WriteAllText(Path.Combine(outside, RunImport.TrainerStateFileName),
            """{"log_history": [{"loss": 2.5, "step": 5}, {"loss": 2.0, "step": 10}, {"eval_loss": 2.2, "step": 10}]}""");
        var page = RenderWithProviders<Runs>();

        await page.InvokeAsync(() => Field(page, "Import a run").Change(Path.Combine(Root, "missing")));
        await page.InvokeAsync(() => page.FindAll("button").First(b => b.TextContent.Trim() == "Import").Click());
        page.WaitForAssertion(() => Assert.Contains("no such folder", page.Find("[data-testid=import-message]").TextContent));

        await page.InvokeAsync(() => Field(page, "Import a run").Change(outside));
        await page.InvokeAsync(() => Field(page, "As").Change("big-run"));
        await page.InvokeAsync(() => page.FindAll("button").First(b => b.TextContent.Trim() == "Import").Click());

        page.WaitForAssertion(() => Assert.Contains("Imported adapter big-run", page.Find("[data-testid=import-message]").TextContent));
        page.WaitForAssertion(() => Assert.Contains("imported", page.Find("tr[data-run=big-run]").TextContent));
        Assert.Contains("2.0000", page.Find("tr[data-run=big-run]").TextContent);
        Assert.Contains("imported from " + outside, page.Find("tr[data-run=big-run]").TextContent);
    }

    [Fact]
    public async Task Runs_are_renamed_and_deleted_keeping_or_removing_their_outputs_and_an_applied_one_is_refused()
    {
        WriteRun("keep-me", 2e-3, 1.5, DateTime.Now.AddHours(-2));
        WriteRun("drop-me", 2e-3, 1.4, DateTime.Now.AddHours(-1));
        var page = RenderWithProviders<Runs>();
        await page.InvokeAsync(() => Button(page, "Rename keep-me").Click());
        await page.InvokeAsync(() => Field(page, "New name").Change("kept"));
        await page.InvokeAsync(() => page.FindAll("button").First(b => b.TextContent.Trim() == "Save").Click());
        page.WaitForElement("tr[data-run=kept]");
        Assert.True(Directory.Exists(Path.Combine(Engine.Paths.Loras, "kept")));
        Assert.False(Directory.Exists(Path.Combine(Engine.Paths.Loras, "keep-me")));

        await page.InvokeAsync(() => Button(page, "Delete kept").Click());
        await page.InvokeAsync(() => page.Find("tr[data-confirm=kept]").QuerySelectorAll("button").First(b => b.TextContent.Trim() == "Keep it").Click());
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("tr[data-run=kept]")));
        Assert.True(File.Exists(Path.Combine(Engine.Paths.Loras, "kept", "adapter_model.safetensors")), "the output was to be kept");
        Assert.False(File.Exists(Path.Combine(Engine.Paths.Loras, "kept", "training_log.json")));

        await Engine.LoadModelAsync(ModelName);
        WriteAdapter("drop-me-too");
        Directory.Delete(Path.Combine(Engine.Paths.Loras, "drop-me"), recursive: true);
        Directory.Move(Path.Combine(Engine.Paths.Loras, "drop-me-too"), Path.Combine(Engine.Paths.Loras, "drop-me"));
        WriteRun("drop-me", 2e-3, 1.4, DateTime.Now); // records beside a real adapter, so it can be applied
        await Engine.ApplyAdaptersAsync([new WebUI.Engine.Adapters.AdapterWeight("drop-me", 1)]);
        page.WaitForElement("tr[data-run=drop-me]");
        await page.InvokeAsync(() => Button(page, "Delete drop-me").Click());
        await page.InvokeAsync(() => page.Find("tr[data-confirm=drop-me]").QuerySelectorAll("button").First(b => b.TextContent.Trim() == "Delete it too").Click());
        page.WaitForAssertion(() => Assert.Contains("applied on the Model tab", page.Find("[data-testid=runs-error]").TextContent));
        Assert.True(Directory.Exists(Path.Combine(Engine.Paths.Loras, "drop-me")));

        await Engine.ApplyAdaptersAsync([]);
        page.WaitForElement("tr[data-run=drop-me]");
        await page.InvokeAsync(() => Button(page, "Delete drop-me").Click());
        await page.InvokeAsync(() => page.Find("tr[data-confirm=drop-me]").QuerySelectorAll("button").First(b => b.TextContent.Trim() == "Delete it too").Click());
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("tr[data-run=drop-me]")));
        Assert.False(Directory.Exists(Path.Combine(Engine.Paths.Loras, "drop-me")));
    }

    [Fact]
    public async Task Changes_shows_what_a_run_changed_inside_the_loaded_model()
    {
        await Engine.LoadModelAsync(ModelName);
        WriteAdapter("loud", changesOutput: true);
        WriteRun("loud", 2e-3, 1.5, DateTime.Now);
        Directory.CreateDirectory(Engine.Paths.Datasets);
        File.WriteAllText(Path.Combine(Engine.Paths.Datasets, "lily.txt"), "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.");
        var page = RenderWithProviders<Runs>();
        await page.InvokeAsync(() => Field(page, "Reference text").MouseDown()); // the studio's reference text, chosen once
        page.WaitForElements(".mud-popover-open .mud-list-item");
        await page.InvokeAsync(() => page.FindAll(".mud-popover-open .mud-list-item").Single(i => i.TextContent.Trim() == "lily.txt").Click());
        page.WaitForAssertion(() => Assert.Equal("lily.txt", Engine.DefaultReferenceText));

        await page.InvokeAsync(() => Button(page, "Changes of loud").Click());
        page.WaitForElement("[data-testid=run-changes]", TimeSpan.FromMinutes(1));
        Assert.Contains("perplexity on lily.txt", page.Find("[data-testid=changes-forgetting]").TextContent); // the run has none of its own
        Assert.Equal(10, page.FindAll("[data-testid=next-token] tbody tr").Count);
        Assert.Contains("cannot exceed its rank", page.Find("[data-testid=effective-rank]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=neighbours]")); // no reference text, so no default probes
        Assert.Empty(page.FindAll("[data-testid=probe-map]"));

        await page.InvokeAsync(() => Field(page, "Probes").Change("Lily, park"));
        await page.InvokeAsync(() => page.FindAll("button").First(b => b.TextContent.Trim() == "Inspect").Click());
        page.WaitForAssertion(() => Assert.Equal(["Lily", "park"], page.FindAll("[data-testid=neighbours] tr[data-probe]").Select(r => r.GetAttribute("data-probe"))),
            TimeSpan.FromMinutes(1));
        page.Find("[data-testid=probe-map]");
        Assert.Contains("last token, after layer 5", page.Markup); // stories260K's last layer
    }

    private static AngleSharp.Dom.IElement Button(IRenderedComponent<ContainerFragment> page, string label) => page.Find($"button[aria-label='{label}']");
}
