using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine;
using Bunit;
using Bunit.Rendering;
using WebUI.Components.Pages;
using WebUI.Engine.Generation;

namespace WebUI.Tests.Components;

public sealed class ChatTabTests : StudioTestContext
{
    private async Task<IRenderedComponent<ContainerFragment>> ChatWithModelAsync()
    {
        await Engine.LoadModelAsync(ModelName);
        return RenderWithProviders<Chat>();
    }

    private static void Send(IRenderedComponent<ContainerFragment> page, string text)
    {
        page.Find("textarea[aria-label=Message]").Input(text);
        page.Find("button:contains('Send')").Click();
    }

    private static string LastReply(IRenderedComponent<ContainerFragment> page) =>
        page.FindAll(".studio-message[data-role=assistant] .studio-message-text").Last().TextContent;

    [Fact]
    public async Task Plain_text_prompt_streams_the_story_greedily()
    {
        var page = await ChatWithModelAsync();
        Assert.Equal(ChatTemplate.PlainText.Name, Field(page, "Template").GetAttribute("value"));
        Field(page, "Temperature").Input("0");

        Send(page, "Once upon a time");

        page.WaitForAssertion(() => Assert.Contains("there was a little girl", LastReply(page)));
        page.WaitForElement(".studio-message-meta");
        Assert.Equal("Once upon a time", page.Find(".studio-message[data-role=user] .studio-message-text").TextContent);
    }

    [Fact]
    public async Task Continue_lengthens_the_last_reply_in_place()
    {
        var page = await ChatWithModelAsync();
        Field(page, "Temperature").Input("0");
        Field(page, "Max new tokens").Input("4");
        Send(page, "Once upon a time");
        page.WaitForAssertion(() => Assert.Contains("reached max new tokens", page.Find(".studio-message-meta").TextContent));
        var first = LastReply(page);

        ClickWhenEnabled(page, "Continue");

        page.WaitForAssertion(() => Assert.True(LastReply(page).Length > first.Length, $"'{LastReply(page)}' did not grow from '{first}'"));
        Assert.StartsWith(first, LastReply(page));
        Assert.Single(page.FindAll(".studio-message[data-role=assistant]"));
    }

    [Fact]
    public async Task Regenerate_replaces_the_last_reply_and_Clear_empties_the_conversation()
    {
        var page = await ChatWithModelAsync();
        // Sampled, with a seed of its own per reply: Regenerate must really draw a new reply, not repeat a greedy one.
        Field(page, "Temperature").Input("1.2");
        Field(page, "Max new tokens").Input("24");
        Field(page, "Seed").Input("1");
        Send(page, "Once upon a time");
        page.WaitForElement(".studio-message-meta");
        var first = LastReply(page);

        Field(page, "Seed").Input("2");
        ClickWhenEnabled(page, "Regenerate");

        page.WaitForElement(".studio-message-meta");
        Assert.NotEqual(first, LastReply(page));
        Assert.NotEmpty(LastReply(page));
        Field(page, "Seed").Input("1");
        ClickWhenEnabled(page, "Regenerate");
        page.WaitForElement(".studio-message-meta");
        Assert.Equal(first, LastReply(page)); // the same seed draws the same reply
        Assert.Single(page.FindAll(".studio-message[data-role=assistant]"));
        Assert.Single(page.FindAll(".studio-message[data-role=user]"));
        ClickWhenEnabled(page, "Clear");

        Assert.Empty(page.FindAll(".studio-message"));
        Assert.Empty(Directory.GetFiles(Engine.Paths.ChatLogs, "*.json"));
    }

    [Fact]
    public async Task Adapter_picker_lists_None_and_every_adapter_and_switches_it()
    {
        WriteAdapter("sue");
        var page = await ChatWithModelAsync();
        Assert.Equal("None", Field(page, "Adapter").GetAttribute("value"));

        Field(page, "Adapter").MouseDown();
        var items = page.WaitForElements(".mud-popover-open .mud-list-item");
        Assert.Equal(["None", "sue"], items.Select(i => i.TextContent.Trim()));
        items.Single(i => i.TextContent.Trim() == "sue").Click();

        page.WaitForAssertion(() => Assert.Equal("sue", Field(page, "Adapter").GetAttribute("value")));
        Assert.Empty(Engine.DefaultAdapters); // the conversation's choice, not the Model tab's default
    }

    [Fact]
    public async Task Compare_sends_one_message_to_the_base_an_adapter_and_a_full_fine_tune_side_by_side_with_one_seed()
    {
        WriteAdapter("loud", changesOutput: true);
        // A full fine-tune of the base whose weights are the base with "loud" merged in: it must answer as "loud" does.
        using (var worker = new TorchWorker("compare-test"))
            await worker.Run(() =>
            {
                using var model = ModelLoader.Load(Path.Combine(Engine.Paths.Models, ModelName), ComputeDevice.Cpu);
                using var loud = LoraAdapter.Load(Path.Combine(Engine.Paths.Loras, "loud"), model.Model);
                var folder = Path.Combine(Engine.Paths.Models, "loud-full");
                AdapterMerger.WriteMerged(model, [(loud, 1.0)], folder);
                File.WriteAllText(Path.Combine(folder, "training_parameters.json"), $$"""{"method": "full", "base_model": "{{ModelName}}"}""");
                File.WriteAllText(Path.Combine(folder, "training_log.json"), """{"steps": 1, "train_curve": [], "eval_curve": []}""");
            });
        await Engine.LoadModelAsync(ModelName);
        var page = RenderWithProviders<Chat>();
        Field(page, "Temperature").Input("0");
        Field(page, "Max new tokens").Input("24");
        await page.InvokeAsync(() => page.FindAll("label").Single(l => l.TextContent.Trim() == "Compare").QuerySelector("input")!.Change(true));
        async Task Choose(string column, string option)
        {
            await page.InvokeAsync(() => Field(page, column).MouseDown());
            page.WaitForElements(".mud-popover-open .mud-list-item");
            await page.InvokeAsync(() => page.FindAll(".mud-popover-open .mud-list-item").Single(i => i.TextContent.Trim() == option).Click());
        }
        await Choose("Compare 1", "loud");
        page.WaitForAssertion(() => Assert.Equal("loud", Field(page, "Compare 1").GetAttribute("value")));
        await Choose("Compare 2", "loud-full (full fine-tune)");
        page.WaitForAssertion(() => Assert.Equal("loud-full (full fine-tune)", Field(page, "Compare 2").GetAttribute("value")));

        await page.InvokeAsync(() => page.Find("textarea[aria-label='Compare message']").Input("Once upon a time"));
        await page.InvokeAsync(() => page.FindAll("button").First(b => b.TextContent.Trim() == "Send to all").Click());

        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid=compare] .studio-message-meta").Count), TimeSpan.FromMinutes(1));
        string Reply(int column) => page.Find($"[data-column='{column}'] .studio-message[data-role=assistant] .studio-message-text").TextContent;
        Assert.StartsWith(", there was a little girl named Lily", Reply(0));
        Assert.NotEqual(Reply(0), Reply(1));
        Assert.Equal(Reply(1), Reply(2));
        Assert.Empty(page.FindAll("[data-column='3'] .studio-message")); // columns left off send nothing
        Assert.Contains("Same settings and seed", page.Find("[data-testid=compare]").TextContent);
    }

    [Fact]
    public async Task Two_tabs_with_different_adapters_chat_at_once_without_affecting_each_other()
    {
        WriteAdapter("loud", changesOutput: true);
        await Engine.LoadModelAsync(ModelName);
        var adapted = RenderWithProviders<Chat>();
        var plain = Render(builder => { builder.OpenComponent<Chat>(0); builder.CloseComponent(); }); // one popover provider serves both
        Field(adapted, "Adapter").MouseDown();
        adapted.WaitForElements(".mud-popover-open .mud-list-item").Single(i => i.TextContent.Trim() == "loud").Click();
        foreach (var page in new[] { plain, adapted })
        {
            Field(page, "Temperature").Input("0");
            Field(page, "Max new tokens").Input("40");
        }

        Send(adapted, "Once upon a time");
        Send(plain, "Once upon a time");

        plain.WaitForElement(".studio-message-meta");
        adapted.WaitForElement(".studio-message-meta");
        Assert.StartsWith(", there was a little girl named Lily", LastReply(plain));
        Assert.NotEqual(LastReply(plain), LastReply(adapted));
        Assert.Equal("None", Field(plain, "Adapter").GetAttribute("value"));
        var saved = Directory.GetFiles(Engine.Paths.ChatLogs, "*.json").Select(File.ReadAllText).ToList();
        Assert.Equal(2, saved.Count);
        Assert.Single(saved, text => text.Contains("\"name\": \"loud\""));
    }

    [Fact]
    public async Task Conversation_is_saved_under_logs_chat_and_reloads()
    {
        var page = await ChatWithModelAsync();
        Field(page, "Temperature").Input("0");
        Send(page, "Once upon a time");
        page.WaitForAssertion(() => Assert.Contains("there was a little girl", LastReply(page)));

        var file = Assert.Single(Directory.GetFiles(Engine.Paths.ChatLogs, "*.json"));
        page.WaitForAssertion(() => Assert.Contains("there was a little girl", File.ReadAllText(file))); // saved when the reply ends

        await DisposeComponentsAsync(); // leave the tab
        var reopened = RenderWithProviders<Chat>();
        Assert.Empty(reopened.FindAll(".studio-message")); // a new tab is a new conversation
        reopened.Find($"[data-conversation='{Path.GetFileNameWithoutExtension(file)}']").Click();
        Assert.Contains("there was a little girl", LastReply(reopened));

        reopened.Find($"button[aria-label='Delete Once upon a time']").Click();
        Assert.Empty(Directory.GetFiles(Engine.Paths.ChatLogs, "*.json"));
        Assert.Empty(reopened.FindAll(".studio-message"));
    }

    [Fact]
    public async Task Two_tabs_sending_into_one_conversation_lose_no_turn()
    {
        var first = await ChatWithModelAsync();
        Field(first, "Max new tokens").Input("4");
        Send(first, "Once upon a time");
        first.WaitForAssertion(() => Assert.Single(first.FindAll(".studio-message-meta")));
        var id = Path.GetFileNameWithoutExtension(Assert.Single(Directory.GetFiles(Engine.Paths.ChatLogs, "*.json")));

        var second = Render(builder => { builder.OpenComponent<Chat>(0); builder.CloseComponent(); }); // one set of providers serves both
        second.Find($"[data-conversation='{id}']").Click();
        Field(second, "Max new tokens").Input("4");
        Send(first, "The first tab asks.");
        first.WaitForAssertion(() => Assert.Equal(2, first.FindAll(".studio-message-meta").Count));
        Send(second, "The second tab asks.");
        second.WaitForAssertion(() => Assert.Equal(2, second.FindAll(".studio-message-meta").Count));

        Assert.Contains("saved as a new conversation", second.Find("[data-testid=chat-notice]").TextContent);
        var texts = Directory.GetFiles(Engine.Paths.ChatLogs, "*.json").Select(File.ReadAllText).ToList();
        Assert.Equal(2, texts.Count);
        Assert.Contains(texts, t => t.Contains("The first tab asks.") && !t.Contains("The second tab asks."));
        Assert.Contains(texts, t => t.Contains("The second tab asks.") && t.Contains("(copy)"));
    }

    [Fact]
    public void Sending_without_a_model_says_so()
    {
        var page = RenderWithProviders<Chat>();

        Send(page, "Hello");

        Assert.Contains("No model is loaded", page.Find(".mud-alert-filled-error, .mud-alert-text-error").TextContent);
    }

    [Fact]
    public async Task Invalid_settings_are_marked_and_block_sending()
    {
        var page = await ChatWithModelAsync();

        Field(page, "Top-p").Input("1.5");
        page.Find("textarea[aria-label=Message]").Input("Once upon a time");

        Assert.Contains("top-p must be in (0, 1]", page.Markup);
        Assert.True(page.Find("button:contains('Send')").HasAttribute("disabled"));
    }

    // The chat buttons stay disabled until a streaming reply has fully ended; a click before that does nothing.
    private static void ClickWhenEnabled(IRenderedComponent<ContainerFragment> page, string label)
    {
        page.WaitForAssertion(() => Assert.False(page.Find($"button:contains('{label}')").HasAttribute("disabled"), $"{label} is still disabled"));
        page.Find($"button:contains('{label}')").Click();
    }
}
