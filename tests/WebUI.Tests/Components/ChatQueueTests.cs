using Bunit;
using Bunit.Rendering;
using WebUI.Components.Pages;
using WebUI.Engine.Studio;

namespace WebUI.Tests.Components;

/// <summary>The Chat tab when the server has room for one reply at a time: later tabs hear where they stand, then get their replies.</summary>
public sealed class ChatQueueTests() : StudioTestContext(new ServingLimits(MaxConcurrent: 1))
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3); // the whole suite shares two cores

    [Fact]
    public async Task Waiting_tabs_show_where_they_stand_and_then_reply()
    {
        await Engine.LoadModelAsync(ModelName);
        var first = RenderWithProviders<Chat>();
        var second = Render(builder => { builder.OpenComponent<Chat>(0); builder.CloseComponent(); });
        var third = Render(builder => { builder.OpenComponent<Chat>(0); builder.CloseComponent(); });
        foreach (var (tab, tokens) in new[] { (first, "480"), (second, "8"), (third, "8") })
        {
            Field(tab, "Temperature").Input("0");
            Field(tab, "Max new tokens").Input(tokens);
            tab.Find("textarea[aria-label=Message]").Input("Once upon a time");
        }

        // The first reply holds the only place (480 tokens take seconds); the other tabs then wait in line.
        first.Find("button:contains('Send')").Click();
        first.WaitForAssertion(() => Assert.NotEmpty(AssistantText(first)), Patience);
        second.Find("button:contains('Send')").Click();
        second.WaitForAssertion(() => Assert.Equal("busy: you are next", second.Find("[data-testid=queue-position]").TextContent.Trim()), Patience);
        third.Find("button:contains('Send')").Click();
        third.WaitForAssertion(() => Assert.Equal("busy: 1 ahead of you", third.Find("[data-testid=queue-position]").TextContent.Trim()), Patience);
        Assert.Empty(first.FindAll("[data-testid=queue-position]"));

        foreach (var tab in new[] { first, second, third })
        {
            tab.WaitForElement(".studio-message-meta", Patience);
            Assert.Empty(tab.FindAll("[data-testid=queue-position]"));
            Assert.StartsWith(", there was a little girl", AssistantText(tab));
        }
    }

    private static string AssistantText(IRenderedComponent<ContainerFragment> tab) =>
        tab.FindAll(".studio-message[data-role=assistant] .studio-message-text").LastOrDefault()?.TextContent ?? "";
}
