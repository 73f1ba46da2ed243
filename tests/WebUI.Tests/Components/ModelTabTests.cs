using AngleSharp.Dom;
using WebUI.Engine.Adapters;
using Bunit;
using Bunit.Rendering;
using WebUI.Components.Layout;
using WebUI.Components.Pages;
using WebUI.Engine.Studio;
using WebUI.Engine.Training;

namespace WebUI.Tests.Components;

public sealed class ModelTabTests : StudioTestContext
{
    [Fact]
    public void Lists_the_model_and_Load_shows_what_was_loaded()
    {
        var page = RenderWithProviders<Model>();
        var row = page.Find($"tr[data-model='{ModelName}']");
        Assert.Contains("llama2.c", row.TextContent);
        Assert.Contains("LlamaForCausalLM", row.TextContent);

        page.Find($"button[aria-label='Load {ModelName}']").Click();

        page.WaitForAssertion(() => Assert.Equal(ModelName, Engine.Model?.Name));
        page.WaitForAssertion(() =>
        {
            var loaded = page.Find("[data-testid=loaded-model]").TextContent;
            Assert.Contains("LlamaForCausalLM", loaded);
            Assert.Contains("Context", loaded);
            Assert.Contains(Engine.Model!.Device, loaded);
        });
        Assert.Contains("Loaded", page.Find($"tr[data-model='{ModelName}']").TextContent);

        page.Find("button:contains('Unload')").Click();
        page.WaitForAssertion(() => Assert.Contains("No model loaded", page.Markup));
        Assert.Null(Engine.Model);
    }

    [Fact]
    public void A_model_whose_chat_template_cannot_be_used_loads_and_says_why()
    {
        var hostile = Path.Combine(Engine.Paths.Models, "hostile");
        using (var stories = WebUI.Engine.Loading.ModelLoader.Load(Path.Combine(Engine.Paths.Models, ModelName), WebUI.Engine.ComputeDevice.Cpu))
            WebUI.Engine.Loading.HfModelWriter.Write(stories, hostile);
        File.WriteAllText(Path.Combine(hostile, "tokenizer_config.json"), """{"chat_template": "{{ 'a' * 1000000000 }}"}""");
        var page = RenderWithProviders<Model>();

        page.Find("button[aria-label='Load hostile']").Click();

        page.WaitForAssertion(() => Assert.StartsWith("the model's chat template cannot be used: ",
            page.Find("[data-testid=template-warning]").TextContent.Trim()));
        Assert.Equal("hostile", Engine.Model?.Name);
        Assert.Contains("none (plain text)", page.Find("[data-testid=loaded-model]").TextContent);
    }

    [Fact]
    public async Task A_new_adapter_appears_and_applies_with_its_weight_and_removes()
    {
        await Engine.LoadModelAsync(ModelName);
        var page = RenderWithProviders<Model>();
        Assert.Contains("No adapters yet", page.Markup);

        WriteAdapter("sue");
        await Engine.ApplyAdaptersAsync([]); // any engine change refreshes the lists

        page.WaitForAssertion(() => Assert.Contains("sue", page.Find("tr[data-adapter=sue]").TextContent));
        page.Find("button[aria-label='Apply sue']").Click();
        page.WaitForAssertion(() => Assert.Equal([new AdapterWeight("sue", 1.0)], Engine.DefaultAdapters));

        page.WaitForElement("input[aria-label='Weight of sue']").Change("0.5");
        page.WaitForAssertion(() => Assert.Equal([new AdapterWeight("sue", 0.5)], Engine.DefaultAdapters));

        page.WaitForElement("button[aria-label='Remove sue']").Click();
        page.WaitForAssertion(() => Assert.Empty(Engine.DefaultAdapters));
        page.WaitForElement("button[aria-label='Apply sue']");
    }

    [Fact]
    public async Task Serving_command_gives_vllm_the_applied_adapters_or_else_all_of_them()
    {
        await Engine.LoadModelAsync(ModelName);
        WriteAdapter("sue");
        WriteAdapter("tom");
        var page = RenderWithProviders<Model>();
        page.WaitForElement("tr[data-adapter=tom]");

        await page.InvokeAsync(() => page.FindAll("button").First(b => b.TextContent.Trim() == "Serving command").Click());
        var all = page.WaitForElement("[data-testid=serving-command]").TextContent;
        Assert.StartsWith($"vllm serve {Engine.Model!.Path} --enable-lora --lora-modules", all);
        Assert.Contains($"sue={Path.Combine(Engine.Paths.Loras, "sue")}", all);
        Assert.Contains($"tom={Path.Combine(Engine.Paths.Loras, "tom")}", all);
        Assert.EndsWith("--max-loras 2", all.Split('\n')[0]);
        // Then llama.cpp's: the GGUF files to write first (the stories260K folder is no GGUF), and llama-server on them.
        Assert.Contains("# or llama.cpp (CPU or GPU, GGUF):", all);
        Assert.Contains($"export-adapter --model {Engine.Model!.Path} --lora {Path.Combine(Engine.Paths.Loras, "tom")}", all);
        Assert.Contains($"--lora {Path.Combine(Engine.Paths.Loras, "sue", "sue.gguf")}", all);

        await page.InvokeAsync(() => page.Find("button[aria-label='Apply tom']").Click());
        page.WaitForAssertion(() => Assert.Equal([new AdapterWeight("tom", 1.0)], Engine.DefaultAdapters));
        await page.InvokeAsync(() => page.FindAll("button").First(b => b.TextContent.Trim() == "Serving command").Click());
        page.WaitForAssertion(() => Assert.DoesNotContain("sue=", page.Find("[data-testid=serving-command]").TextContent));
        Assert.EndsWith("--max-loras 1", page.Find("[data-testid=serving-command]").TextContent.Split('\n')[0]);
    }

    [Fact]
    public async Task Export_asks_a_name_and_writes_the_merged_model_into_models()
    {
        await Engine.LoadModelAsync(ModelName);
        var page = RenderWithProviders<Model>();

        page.Find("button:contains('Export merged model')").Click();
        var name = page.WaitForElement(".mud-dialog input");
        Assert.Equal($"{ModelName}-merged", name.GetAttribute("value"));
        name.Input("stories-copy");
        page.Find(".mud-dialog button:contains('Export')").Click();

        page.WaitForAssertion(() => Assert.Contains("Merged model written to", page.Markup));
        Assert.True(File.Exists(Path.Combine(Engine.Paths.Models, "stories-copy", "config.json")));
        page.WaitForAssertion(() => page.Find("tr[data-model='stories-copy']"));
    }

    [Fact]
    public async Task Export_as_gguf_writes_a_gguf_with_its_modelfile_that_the_models_list_shows_with_its_type()
    {
        await Engine.LoadModelAsync(ModelName);
        var page = RenderWithProviders<Model>();

        await page.InvokeAsync(() => page.Find("button:contains('Export merged model')").Click());
        var name = page.WaitForElement(".mud-dialog input");
        await page.InvokeAsync(() => name.Input("stories-q8"));
        var select = page.FindComponents<MudBlazor.MudSelect<string>>().First(s => s.Instance.Label == "Format");
        await page.InvokeAsync(() => select.Find("div.mud-input-control").MouseDown());
        page.WaitForAssertion(() => Assert.Contains(page.FindAll(".mud-popover-open .mud-list-item"), i => i.TextContent.Contains("GGUF Q8_0")));
        await page.InvokeAsync(() => page.FindAll(".mud-popover-open .mud-list-item").First(i => i.TextContent.Contains("GGUF Q8_0")).Click());
        await page.InvokeAsync(() => page.Find(".mud-dialog button:contains('Export')").Click());

        page.WaitForAssertion(() => Assert.Contains("Merged model written to", page.Markup));
        var folder = Path.Combine(Engine.Paths.Models, "stories-q8");
        Assert.True(File.Exists(Path.Combine(folder, "stories-q8.gguf")));
        Assert.True(File.Exists(Path.Combine(folder, "stories-q8.Modelfile")));
        page.WaitForAssertion(() => Assert.Contains("GGUF Q8_0", page.Find("tr[data-model='stories-q8']").TextContent));
    }

    [Fact]
    public async Task An_adapter_row_exports_the_adapter_as_a_gguf_lora()
    {
        WriteAdapter("sue", changesOutput: true);
        await Engine.LoadModelAsync(ModelName);
        var page = RenderWithProviders<Model>();

        await page.InvokeAsync(() => page.Find("button[aria-label='Export sue as GGUF']").Click());

        page.WaitForAssertion(() => Assert.Contains("GGUF LoRA written to", page.Markup));
        var gguf = Path.Combine(Engine.Paths.Loras, "sue", "sue.gguf");
        using var file = WebUI.Engine.Loading.GgufFile.Open(gguf);
        Assert.Equal("adapter", file.String("general.type"));
        Assert.Contains(file.TensorList, t => t.Name.EndsWith(".lora_b"));
        Assert.Contains($"FROM {ModelName}", File.ReadAllText(Path.Combine(Engine.Paths.Loras, "sue", "sue.Modelfile")));
    }

    [Fact]
    public async Task The_int8_switch_makes_decoding_read_int8_weights_and_off_again()
    {
        await Engine.LoadModelAsync(ModelName);
        var page = RenderWithProviders<Model>();
        IElement Switch() => page.FindAll("label").Single(l => l.TextContent.Contains("Decode with int8 weights")).QuerySelector("input")!;

        await page.InvokeAsync(() => Switch().Change(true));
        page.WaitForAssertion(() => Assert.True(Engine.Int8Decoding));
        await page.InvokeAsync(() => Switch().Change(false));
        page.WaitForAssertion(() => Assert.False(Engine.Int8Decoding));
    }

    [Fact]
    public async Task A_training_job_shows_in_the_status_line_and_its_adapter_appears_when_it_ends()
    {
        await Engine.LoadModelAsync(ModelName);
        var page = RenderWithProviders<Model>();
        var status = Render<StudioStatus>();
        var dataset = Path.Combine(Engine.Paths.Datasets, "sue.txt");
        File.WriteAllLines(dataset, Enumerable.Repeat("Once upon a time, there was a little girl named Sue. Sue loved to play in the park.", 400));

        await Engine.StartTrainingAsync(new TrainingOptions
        {
            OutputName = "sue", Epochs = 2, MicroBatchSize = 4, BatchSize = 4,
            Data = new DatasetOptions { DatasetPath = dataset, Cutoff = 64, Overlap = 0 },
        });

        status.WaitForAssertion(() => Assert.Contains("Training…", status.Markup));
        page.WaitForAssertion(() => page.Find("tr[data-adapter=sue]"), TimeSpan.FromMinutes(2));
        status.WaitForAssertion(() => Assert.DoesNotContain("Training…", status.Markup));
    }
}
