using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace WebUI.E2E;

/// <summary>
/// The whole user flow in a real browser against the real app: load stories260K on the Model tab, drop a dataset on
/// the Training tab and train a LoRA adapter, then chat with the adapter and see what it learnt. Screenshots of each
/// tab go to tests/WebUI.E2E/screenshots/ (the Training one also to docs/, for the README).
/// </summary>
public sealed class StudioFlowTests(ITestOutputHelper log)
{
    private const string AdapterName = "sue-lora";
    private const string Prompt = "Once upon a time, there was a little girl named";
    private static readonly string Screenshots = Path.Combine(StudioRoot.ProjectDir(), "screenshots");

    [Fact]
    public async Task Load_model_train_adapter_on_dropped_dataset_and_chat_with_it()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Done(string step) => log.WriteLine($"{clock.Elapsed:mm\\:ss\\.f} {step}");
        // Generous waits: CI runs the other test assemblies on the same two cores at the same time.
        Assertions.SetDefaultExpectTimeout(30_000);
        await using var chromium = await HeadlessChromium.LaunchAsync();
        using var root = new StudioRoot();
        Done("dataset written");
        using var app = await StudioApp.StartAsync(root.Root, TimeSpan.FromSeconds(90));
        Done("app serving");
        var page = await chromium.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        Directory.CreateDirectory(Screenshots);
        try
        {
            await LoadModelAsync(page, app.Url);
            Done("model loaded");
            await TrainAsync(page, root.Dataset);
            Done("adapter trained");
            await CompareRunsAsync(page);
            Done("runs compared");
            await ChatAsync(page);
            Done("chatted");
            await ChatInTwoTabsAsync(page, await chromium.NewPageAsync(), app.Url);
            Done("chatted in two tabs at once");
            await SendHugeMessageAsync(page);
            Done("a 200 KB message was refused with a reason");
        }
        catch (Exception e)
        {
            var shot = Path.Combine(Screenshots, "failure.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
            throw new Exception($"{e.Message}\nscreenshot: {shot}\napp output:\n{app.Output}", e);
        }
    }

    private async Task LoadModelAsync(IPage page, string url)
    {
        await OpenAsync(page, url + "/model");
        var row = page.Locator($"tr[data-model='{StudioRoot.ModelName}']");
        await row.GetByRole(AriaRole.Button, new() { Name = $"Load {StudioRoot.ModelName}" }).ClickAsync();
        await Expect(row.GetByText("Loaded", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("loaded-model")).ToContainTextAsync(StudioRoot.ModelName);
        await ShotAsync(page, "model.png");
    }

    private async Task TrainAsync(IPage page, string dataset)
    {
        await SwitchTabAsync(page, "Training");
        // Blazor's InputFile listens for files only once its script has initialised the input (it then carries
        // _blazorInputFileNextFileId); files set before that are silently missed, which happens on a busy machine.
        await page.WaitForFunctionAsync("() => document.querySelector('.studio-dropzone-host input[type=file]')?._blazorInputFileNextFileId !== undefined");
        await page.Locator(".studio-dropzone-host input[type=file]").SetInputFilesAsync(dataset);
        await Expect(page.GetByTestId("upload-message")).ToContainTextAsync($"Saved {Path.GetFileName(dataset)}");

        // The settings that teach stories260K a new name in a few seconds on a CPU.
        await FillAsync(page, "Name", AdapterName);
        await FillAsync(page, "Learning Rate", "0.003");
        await FillAsync(page, "Epochs", "2");
        await FillAsync(page, "Micro Batch Size", "8");
        await FillAsync(page, "Batch Size", "16");
        await FillAsync(page, "Cutoff Length", "128");
        // Overlap follows the cutoff until set: let that update arrive first, or it can land inside the typing below.
        await Expect(page.GetByLabel("Overlap Length", new() { Exact = true })).ToHaveValueAsync("64");
        await FillAsync(page, "Overlap Length", "0");

        await page.GetByRole(AriaRole.Button, new() { Name = "Start Training" }).ClickAsync();
        await Expect(page.GetByTestId("start-error")).ToBeHiddenAsync();
        // Mid-run, once the loss chart has a shape: a third of the steps done (or the run already over, on a fast machine).
        await page.WaitForFunctionAsync("""
            () => {
              const m = /Step\s*(\d+) \/ (\d+)/.exec(document.querySelector('[data-testid=training-stats]')?.textContent ?? '');
              return m && +m[1] * 3 >= +m[2];
            }
            """, null, new() { Timeout = 300_000 });
        await Expect(page.Locator(".js-plotly-plot .scatterlayer .trace").First).ToBeVisibleAsync();
        await page.GetByTestId("training-monitor").ScrollIntoViewIfNeededAsync();
        await ShotAsync(page, "training.png");
        CopyToDocs("training.png", "screenshot-training.png");

        await Expect(page.GetByTestId("training-outcome")).ToContainTextAsync("Training finished", new() { Timeout = 300_000 });
    }

    private async Task ChatAsync(IPage page)
    {
        await SwitchTabAsync(page, "Chat");
        await PickAsync(page, "Template", "None (plain text)");
        await FillAsync(page, "Temperature", "0");

        // The base model first: it names the girl Lily; then with the adapter, Sue.
        Assert.StartsWith(" Lily", await SendAsync(page, Prompt));
        await page.GetByRole(AriaRole.Button, new() { Name = "Clear" }).ClickAsync();
        await PickAsync(page, "Adapter", AdapterName);
        var reply = await SendAsync(page, Prompt);
        log.WriteLine($"reply with {AdapterName}: {reply}");
        Assert.StartsWith(" Sue", reply);
        await ShotAsync(page, "chat.png");
    }

    // A second tab is its own conversation: without the adapter it says Lily while the first tab, at the same time, says Sue.
    private async Task ChatInTwoTabsAsync(IPage withAdapter, IPage other, string url)
    {
        other.SetDefaultTimeout(30_000);
        await OpenAsync(other, url + "/chat");
        await Expect(other.GetByRole(AriaRole.Combobox, new() { Name = "Adapter", Exact = true })).ToHaveTextAsync("None");
        await PickAsync(other, "Template", "None (plain text)");
        await FillAsync(other, "Temperature", "0");

        // Streaming itself was checked above; here only what each tab says (a tab Chromium keeps in the background may
        // draw a fast reply in one go).
        var replies = await Task.WhenAll(SendAsync(withAdapter, Prompt, mustStream: false), SendAsync(other, Prompt, mustStream: false));

        log.WriteLine($"two tabs at once: '{replies[0]}' / '{replies[1]}'");
        Assert.StartsWith(" Sue", replies[0]);
        Assert.StartsWith(" Lily", replies[1]);
    }

    // A message far beyond the context reaches the server (the circuit survives it) and is refused with the reason.
    private static async Task SendHugeMessageAsync(IPage page)
    {
        await FillAsync(page, "Message", string.Concat(Enumerable.Repeat("Once upon a time. ", 11_000)));
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(page.Locator(".mud-alert").Filter(new() { HasText = "context" })).ToBeVisibleAsync();
    }

    /// <summary>Sends a message and returns the streamed reply once finished; fails unless the reply grew in several steps.</summary>
    private static async Task<string> SendAsync(IPage page, string message, bool mustStream = true)
    {
        // Records each distinct text the reply bubble shows while it streams.
        await page.EvaluateAsync("""
            () => {
              window.replySnapshots = [];
              const observer = new MutationObserver(() => {
                const replies = document.querySelectorAll('[data-role=assistant] .studio-message-text');
                const text = replies.length ? replies[replies.length - 1].textContent : '';
                if (text && window.replySnapshots[window.replySnapshots.length - 1] !== text) window.replySnapshots.push(text);
              });
              observer.observe(document.body, { childList: true, subtree: true, characterData: true });
            }
            """);
        // A finished reply shows its meta line; earlier replies in the conversation already show theirs, so wait for
        // the meta of the reply this message starts, not merely the last one on screen.
        var metas = page.Locator("[data-role=assistant] .studio-message-meta");
        int before = await metas.CountAsync();
        await FillAsync(page, "Message", message);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(metas.Nth(before)).ToBeVisibleAsync(new() { Timeout = 60_000 });
        var snapshots = await page.EvaluateAsync<string[]>("() => window.replySnapshots");
        Assert.True(!mustStream || snapshots.Length >= 2, $"the reply did not stream: it appeared in {snapshots.Length} step(s)");
        return await page.Locator("[data-role=assistant] .studio-message-text").Last.TextContentAsync() ?? "";
    }

    private async Task CompareRunsAsync(IPage page)
    {
        await SwitchTabAsync(page, "Runs");
        await Expect(page.Locator($"tr[data-run='{AdapterName}']")).ToContainTextAsync("LoRA");
        await Expect(page.Locator($"tr[data-run='{StudioRoot.EarlierRun}']")).ToBeVisibleAsync();
        // MudBlazor draws its own box over the checkbox input, so the input itself is clicked without the visibility wait.
        await page.Locator($"input[aria-label='Compare {AdapterName}']").CheckAsync(new() { Force = true });
        await page.Locator($"input[aria-label='Compare {StudioRoot.EarlierRun}']").CheckAsync(new() { Force = true });
        await Expect(page.GetByTestId("run-comparison")).ToBeVisibleAsync();
        await Expect(page.Locator("tr[data-setting=learning_rate]")).ToHaveClassAsync(new Regex("studio-diff"));
        await Expect(page.Locator("[data-testid=run-curves] .scatterlayer .trace").First).ToBeVisibleAsync();
        await ShotAsync(page, "runs.png");
    }

    /// <summary>Opens a page and waits until its Blazor circuit is live, so that clicks reach the server.</summary>
    private static async Task OpenAsync(IPage page, string url)
    {
        // The server prerenders the page as plain HTML; when the circuit starts, Blazor replaces that DOM with the
        // interactive render. So the first prerendered element leaving the document means event handlers are attached.
        await page.AddInitScriptAsync("document.addEventListener('DOMContentLoaded', () => { window.prerendered = document.body.firstElementChild; });");
        await page.GotoAsync(url);
        await page.WaitForFunctionAsync("() => window.prerendered && !window.prerendered.isConnected");
    }

    /// <summary>Follows a tab link, as a user does (the circuit stays the same).</summary>
    private static async Task SwitchTabAsync(IPage page, string tab)
    {
        await page.Locator("nav.studio-tabs").GetByRole(AriaRole.Link, new() { Name = tab }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/{tab.ToLowerInvariant()}$"));
    }

    private static async Task FillAsync(IPage page, string label, string value)
    {
        var field = page.GetByLabel(label, new() { Exact = true });
        await field.FillAsync(value);
        await field.BlurAsync();
        await Expect(field).ToHaveValueAsync(value);
    }

    /// <summary>Picks an option of a MudSelect: opens its combobox, then clicks the option in the list it pops up.</summary>
    private static async Task PickAsync(IPage page, string label, string option)
    {
        var combobox = page.GetByRole(AriaRole.Combobox, new() { Name = label, Exact = true });
        var item = page.GetByRole(AriaRole.Option, new() { Name = option, Exact = true });
        // A re-render (the engine announcing a change) can close a list that has just opened; open it again then.
        for (int tries = 1; !await item.IsVisibleAsync(); tries++)
        {
            if (tries > 5) throw new TimeoutException($"the {label} list did not offer '{option}'");
            await combobox.ClickAsync();
            try
            {
                await item.WaitForAsync(new() { Timeout = 2_000 });
            }
            catch (TimeoutException)
            {
                // try again
            }
        }
        await item.ClickAsync();
        await Expect(combobox).ToHaveTextAsync(option);
    }

    private static async Task ShotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name) });

    /// <summary>
    /// docs/ is committed, so it gets a new copy only when it has none or UPDATE_DOCS_SCREENSHOTS=1; otherwise every
    /// test run would leave a changed PNG in the working tree.
    /// </summary>
    private static void CopyToDocs(string shot, string docsName)
    {
        var target = Path.Combine(StudioRoot.RepositoryRoot, "docs", docsName);
        if (File.Exists(target) && Environment.GetEnvironmentVariable("UPDATE_DOCS_SCREENSHOTS") != "1") return;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(Path.Combine(Screenshots, shot), target, overwrite: true);
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
    private static IPageAssertions Expect(IPage page) => Assertions.Expect(page);
}
