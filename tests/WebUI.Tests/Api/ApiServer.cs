using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;

namespace WebUI.Tests.Api;

/// <summary>
/// The real app on a loopback port with stories260K in models/ and, in loras/, two adapters that fit ("sue",
/// "tom") and one whose rank in adapter_config.json does not match its weights ("misfit"). A derived fixture passes
/// its own start-up flags.
/// </summary>
public class ApiServer : IAsyncLifetime
{
    private readonly string[] flags;

    public ApiServer() : this([]) { }

    // xUnit wants one public constructor on a fixture.
    protected ApiServer(string[] flags) => this.flags = flags;

    public const string ModelName = "stories260K";
    private readonly string root = Path.Combine(Path.GetTempPath(), "webui-api-tests", Guid.NewGuid().ToString("N"));
    private WebApplication app = default!;

    public int Port { get; } = FreePort();
    public string BaseUrl => $"http://127.0.0.1:{Port}/v1";
    public StudioEngine Engine => app.Services.GetRequiredService<StudioEngine>();
    public HttpClient Http { get; } = new();

    public async Task InitializeAsync()
    {
        var paths = new StudioPaths(root);
        var model = Directory.CreateDirectory(Path.Combine(paths.Models, ModelName)).FullName;
        foreach (var file in Directory.GetFiles(WebUI.Engine.Tests.SharedModels.Dir(ModelName)))
            File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        paths.EnsureFolders();
        using (var worker = new TorchWorker("api-test-adapters"))
        {
            await worker.Run(() =>
            {
                using var loaded = ModelLoader.Load(model, ComputeDevice.Cpu);
                foreach (var (name, seed) in new[] { ("sue", 1L), ("tom", 2L), ("misfit", 3L) })
                {
                    using var adapter = LoraAdapter.CreateTrainable(name, loaded.Model, new LoraOptions { Rank = 4, Alpha = 8 }, seed, baseModel: ModelName);
                    adapter.Save(Path.Combine(paths.Loras, name));
                }
            });
        }
        var config = Path.Combine(paths.Loras, "misfit", "adapter_config.json");
        var json = JsonNode.Parse(File.ReadAllText(config))!;
        json["r"] = 8;
        File.WriteAllText(config, json.ToJsonString());

        app = StudioApp.Build(["--port", Port.ToString(), .. flags], paths);
        await app.StartAsync();
        await Engine.LoadModelAsync(ModelName);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        try { Directory.Delete(root, recursive: true); } catch (IOException) { }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
