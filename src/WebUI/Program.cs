using WebUI.Cli;
using WebUI;
using WebUI.Components;

if (CliProgram.IsCommand(args)) return await CliProgram.RunAsync(args);

var (url, rest) = ServerAddress.Parse(args);
var builder = WebApplication.CreateBuilder(rest);
builder.WebHost.UseUrls(url);
builder.Services.AddRazorComponents().AddInteractiveServerComponents();

var app = builder.Build();
if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/Error", createScopeForErrors: true);
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
await app.RunAsync();
return 0;
