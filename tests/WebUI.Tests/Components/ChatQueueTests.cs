using Bunit;
using Bunit.Rendering;
using WebUI.Components.Pages;
using WebUI.Engine.Studio;

namespace WebUI.Tests.Components;

/// <summary>The Chat tab when the server has room for one reply at a time: a later tab hears where it stands, then get their reply.</summary>
public sealed class ChatQueueTests() : StudioTestContext(new ServingLimits(MaxConcurrent: 1))
{
    [Fact]
    public async Task A_waiting_tab_shows_that_it_is_next_and_then_replies()
    {
        await Engine.LoadModelAsync(ModelName);
        var tabs = new[] { RenderWithProviders<Chat>() }
            .Concat(Enumerable.Range(0, 1).Select(_ => Render(builder => { builder.OpenComponent<Chat>(0); builder.CloseComponent(); })))
            .ToList();
        // Every text a tab's queue alert ever showed, caught at each render (the alert leaves once the reply starts).
        var shown = tabs.Select(_ => new List<string>()).ToList();
        for (int i = 0; i < tabs.Count; i++)
        {
            var (tab, seen) = (tabs[i], shown[i]);
            tab.OnMarkupUpdated += (_, _) =>
            {
                if (tab.FindAll("[data-testid=queue-position]").FirstOrDefault() is { } alert) lock (seen) seen.Add(alert.TextContent.Trim());
            };
            Field(tab, "Temperature").Input("0");
            Field(tab, "Max new tokens").Input(i == 0 ? "480" : "8");
        }

        foreach (var tab in tabs)
        {
            tab.Find("textarea[aria-label=Message]").Input("Once upon a time");
            tab.Find("button:contains('Send')").Click();
        }

        foreach (var tab in tabs) tab.WaitForAssertion(() => Assert.NotNull(tab.Find(".studio-message-meta")));
        Assert.Empty(shown[0]);
        Assert.Contains("busy: you are next", shown[1]);
        foreach (var tab in tabs)
        {
            Assert.Empty(tab.FindAll("[data-testid=queue-position]"));
            Assert.StartsWith(", there was a little girl", tab.FindAll(".studio-message[data-role=assistant] .studio-message-text").Last().TextContent);
        }
    }
}
