using MudBlazor.Services;
using WebUI.Components;
using WebUI.Engine.Studio;
using WebUI.Hubs;

namespace WebUI;

/// <summary>
/// The web app as Program.cs serves it, built here so integration tests start exactly the same app on a port of
/// their own and a studio root of their own.
/// </summary>
public static class StudioApp
{
    public static WebApplication Build(string[] args, StudioPaths paths)
    {
        var startup = StartupOptions.Parse(args);
        // The application name locates the static web assets manifest; under a test host the entry assembly is not WebUI.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = startup.Remaining, ApplicationName = typeof(StudioApp).Assembly.GetName().Name,
        });
        builder.WebHost.UseUrls(startup.Url);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddSignalR();
        builder.Services.AddSingleton(_ => new StudioEngine(paths));
        builder.Services.AddHostedService<TrainingBroadcaster>();
        // -- app services: one line each below (helpers add their registrations here) --
        builder.WebHost.UseStaticWebAssets(); // MudBlazor's css/js from a build (not only a publish) in every environment, as `dotnet run -c Release` serves
        builder.Services.AddSingleton(sp => new WebUI.Services.ChatLogStore(sp.GetRequiredService<StudioEngine>().Paths.ChatLogs));

        var app = builder.Build();
        if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/Error", createScopeForErrors: true);
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapHub<TrainingHub>(TrainingHub.Path);
        // -- app endpoints: one line each below --

        if (startup.Model is { } model)
        {
            var engine = app.Services.GetRequiredService<StudioEngine>();
            _ = engine.LoadModelAsync(model).ContinueWith(t => app.Logger.LogError("loading {Model} failed: {Error}", model, t.Exception!.InnerException!.Message),
                TaskContinuationOptions.OnlyOnFaulted);
        }
        return app;
    }
}
