using WebUI;
using WebUI.Cli;
using WebUI.Engine.Studio;

if (CliProgram.IsCommand(args)) return await CliProgram.RunAsync(args);

StartupOptions startup;
try { startup = StartupOptions.Parse(args, Environment.GetEnvironmentVariable(StartupOptions.ApiKeyVariable)); }
catch (ArgumentException e)
{
    Console.Error.WriteLine($"webui: {e.Message}");
    return 2;
}
// The app is put together in StudioApp.cs (services and endpoints go in its two marked regions), shared with the tests.
var app = StudioApp.Build(startup, StudioPaths.ForCurrentDirectory());
await app.RunAsync();
return 0;
