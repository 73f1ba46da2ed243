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
    public static WebApplication Build(string[] args, StudioPaths paths) =>
        Build(StartupOptions.Parse(args, Environment.GetEnvironmentVariable(StartupOptions.ApiKeyVariable)), paths);

    public static WebApplication Build(StartupOptions startup, StudioPaths paths)
    {
        // The application name locates the static web assets manifest; under a test host the entry assembly is not WebUI.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(StudioApp).Assembly.GetName().Name,
        });
        builder.WebHost.UseUrls(startup.Url);
        // Against DNS rebinding: only these Host names are served (ASP.NET's host filtering answers 400 otherwise).
        builder.Configuration.AddInMemoryCollection([new("AllowedHosts", string.Join(';', startup.AllowedHosts)), .. startup.Settings]);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = WebUI.Api.OpenAiApi.MaxBodyBytes);
        // SignalR's 32 KB default silently dropped the circuit on a chat message of 20 KB; prompts of 1 MB must arrive.
        builder.Services.AddRazorComponents().AddInteractiveServerComponents()
            .AddHubOptions(hub => hub.MaximumReceiveMessageSize = 4 * 1024 * 1024);
        builder.Services.AddMudServices();
        builder.Services.AddSignalR();
        builder.Services.AddSingleton(sp => new StudioEngine(paths, startup.Limits, sp.GetRequiredService<ILogger<StudioEngine>>()));
        builder.Services.AddHostedService<TrainingBroadcaster>();
        // -- app services: one line each below (helpers add their registrations here) --
        builder.Services.AddSingleton(new WebUI.Api.ApiKeyCheck(startup.ApiKey));
        builder.WebHost.UseStaticWebAssets(); // MudBlazor's css/js from a build (not only a publish) in every environment, as `dotnet run -c Release` serves
        builder.Services.AddSingleton(sp => new WebUI.Services.ChatLogStore(sp.GetRequiredService<StudioEngine>().Paths.ChatLogs));

        var app = builder.Build();
        if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/Error", createScopeForErrors: true);
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/v1") || c.Request.Path.StartsWithSegments(WebUI.Api.MetricsEndpoint.Path), api => api.UseMiddleware<WebUI.Api.ApiKeyMiddleware>());
        app.UseWhen(c => SameOriginMiddleware.Guards(c.Request.Path), hubs => hubs.UseMiddleware<SameOriginMiddleware>());
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapHub<TrainingHub>(TrainingHub.Path);
        // -- app endpoints: one line each below --
        WebUI.Api.OpenAiApi.MapOpenAiApi(app);
        WebUI.Api.MetricsEndpoint.MapMetrics(app);

        if (startup.Model is { } model)
        {
            var engine = app.Services.GetRequiredService<StudioEngine>();
            _ = LoadAtStartAsync(engine, model, startup.Int8Decoding).ContinueWith(t => app.Logger.LogError("loading {Model} failed: {Error}", model, t.Exception!.InnerException!.Message),
                TaskContinuationOptions.OnlyOnFaulted);
        }
        return app;
    }

    private static async Task LoadAtStartAsync(StudioEngine engine, string model, bool int8)
    {
        await engine.LoadModelAsync(model);
        if (int8) await engine.SetInt8DecodingAsync(true);
    }
}
