using Bunit;
using Bunit.Rendering;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;
using WebUI.Services;

namespace WebUI.Tests.Components;

/// <summary>
/// A bUnit context wired like the app: the real <see cref="StudioEngine"/> on a temporary studio root whose models/
/// holds a copy of stories260K, MudBlazor's services, and the chat log store. JS calls are answered loosely (MudBlazor
/// asks the browser for sizes and the theme; there is no browser).
/// </summary>
public abstract class StudioTestContext : BunitContext
{
    public const string ModelName = "stories260K";

    protected StudioTestContext(ServingLimits? limits = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "webui-ui-tests", Guid.NewGuid().ToString("N"));
        var model = Path.Combine(Root, "models", ModelName);
        Directory.CreateDirectory(model);
        foreach (var file in Directory.GetFiles(WebUI.Engine.Tests.SharedModels.Dir(ModelName)))
            File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        Engine = new StudioEngine(new StudioPaths(Root), limits);
        Services.AddMudServices();
        Services.AddSingleton(Engine);
        Services.AddSingleton(new ChatLogStore(Engine.Paths.ChatLogs));
        JSInterop.Mode = JSRuntimeMode.Loose;
        DefaultWaitTimeout = TimeSpan.FromSeconds(30);
    }

    protected string Root { get; }
    protected StudioEngine Engine { get; }

    /// <summary>
    /// Renders <typeparamref name="T"/> beside the popover and dialog providers, as MainLayout does, so selects and
    /// dialogs open. Query the returned host: open popovers and dialogs render in the providers, outside the page.
    /// </summary>
    protected IRenderedComponent<ContainerFragment> RenderWithProviders<T>() where T : IComponent => Render(builder =>
    {
        builder.OpenComponent<MudPopoverProvider>(0);
        builder.CloseComponent();
        builder.OpenComponent<MudDialogProvider>(1);
        builder.CloseComponent();
        builder.OpenComponent<T>(2);
        builder.CloseComponent();
    });

    /// <summary>The input (or textarea) of the MudBlazor field with this visible label.</summary>
    protected static AngleSharp.Dom.IElement Field(IRenderedComponent<ContainerFragment> host, string label)
    {
        var id = host.FindAll("label").Single(l => l.TextContent.Trim() == label).GetAttribute("for");
        return host.Find($"#{id}");
    }

    /// <summary>
    /// Writes a small LoRA adapter for stories260K into loras/NAME. B is zero, so it changes nothing until trained,
    /// unless <paramref name="changesOutput"/>, which makes B random.
    /// </summary>
    protected void WriteAdapter(string name, bool changesOutput = false)
    {
        using var worker = new TorchWorker("test-adapter");
        worker.Run(() =>
        {
            using var model = ModelLoader.Load(Path.Combine(Root, "models", ModelName), ComputeDevice.Cpu);
            using var adapter = LoraAdapter.CreateTrainable(name, model.Model, new LoraOptions { Rank = 4, Alpha = 8 }, seed: 1, baseModel: ModelName);
            if (changesOutput)
            {
                using var noGrad = TorchSharp.torch.no_grad();
                foreach (var (_, b) in adapter.Weights.Values) b.copy_(TorchSharp.torch.randn(b.shape) * 0.5);
            }
            adapter.Save(Path.Combine(Engine.Paths.Loras, name));
        }).Wait();
    }

    // xUnit 2 disposes test classes synchronously, but MudBlazor's services dispose only asynchronously.
    protected override void Dispose(bool disposing)
    {
        if (disposing) DisposeAsyncCore().AsTask().GetAwaiter().GetResult();
        base.Dispose(false);
        Engine.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
