using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using WebUI.Components.Layout;
using WebUI.Components.Pages;

namespace WebUI.Tests.Components;

public sealed class LayoutTests : StudioTestContext
{
    [Fact]
    public void App_bar_has_the_name_and_the_four_tabs_as_links()
    {
        var layout = Render<MainLayout>(p => p.Add(l => l.Body, (RenderFragment)(b => b.AddContent(0, "page"))));

        Assert.Contains("WebUI", layout.Find(".studio-brand").TextContent);
        var tabs = layout.FindAll("nav.studio-tabs a");
        Assert.Equal(["Model", "Training", "Chat", "Runs"], tabs.Select(a => a.TextContent.Trim()));
        Assert.Equal(["model", "training", "chat", "runs"], tabs.Select(a => a.GetAttribute("href")));
        Assert.Contains("page", layout.Markup);
    }

    [Fact]
    public async Task Status_line_follows_the_loaded_model()
    {
        var status = Render<StudioStatus>();
        Assert.Contains("No model loaded", status.Markup);

        await Engine.LoadModelAsync(ModelName);

        status.WaitForAssertion(() => Assert.Contains(ModelName, status.Markup));
        Assert.DoesNotContain("No model loaded", status.Markup);
    }

    [Fact]
    public void Root_address_opens_the_training_tab()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();

        Render<Home>();

        Assert.EndsWith("/training", navigation.Uri);
    }
}
