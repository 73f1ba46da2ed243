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
        foreach (var (tab, tokens) in new[] { (first, "40"), (second, "8"), (third, "8") })
        {
            Field(tab, "Temperature").Input("0");
            Field(tab, "Max new tokens").Input(tokens);
            tab.Find("textarea[aria-label=Message]").Input("Once upon a time");
        }

        // The worker is held while the three requests join, and again after the first step: the first reply then
        // holds the only place and the others wait in line, however fast or loaded the machine is.
        using var beforeFirstStep = new ManualResetEventSlim();
        using var afterFirstStep = new ManualResetEventSlim();
        Engine.PostToInferenceWorker(beforeFirstStep.Wait);
        foreach (var tab in new[] { first, second, third })
            tab.Find("button:contains('Send')").Click();
        Engine.PostToInferenceWorker(afterFirstStep.Wait);
        beforeFirstStep.Set();

        second.WaitForAssertion(() => Assert.Equal("busy: you are next", second.Find("[data-testid=queue-position]").TextContent.Trim()), Patience);
        third.WaitForAssertion(() => Assert.Equal("busy: 1 ahead of you", third.Find("[data-testid=queue-position]").TextContent.Trim()), Patience);
        Assert.Empty(first.FindAll("[data-testid=queue-position]"));
        afterFirstStep.Set();

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
