using WebUI;
using WebUI.Cli;
using WebUI.Engine.Studio;

if (CliProgram.IsCommand(args)) return await CliProgram.RunAsync(args);

// The app is put together in StudioApp.cs (services and endpoints go in its two marked regions), shared with the tests.
var app = StudioApp.Build(args, StudioPaths.ForCurrentDirectory());
await app.RunAsync();
return 0;
