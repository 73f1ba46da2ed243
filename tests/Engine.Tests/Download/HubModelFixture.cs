using WebUI.Engine.Generation;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;

namespace WebUI.Engine.Tests.Download;

/// <summary>stories260K converted once to the Hugging Face layout a hub repository holds.</summary>
public sealed class HubModelFixture
{
    public const string Repo = "karpathy/stories260K";
    public const string Folder = "karpathy_stories260K";

    public HubModelFixture()
    {
        Dir = Path.Combine(TinyModels.TempDir(), "stories260K");
        using var model = ModelLoader.Load(TinyModels.StoriesDir, ComputeDevice.Cpu);
        HfModelWriter.Write(model, Dir);
    }

    /// <summary>The repository's files: config.json, model.safetensors and tokenizer files.</summary>
    public string Dir { get; }

    public string[] FileNames => [.. Directory.GetFiles(Dir).Select(Path.GetFileName).Order().OfType<string>()];

    /// <summary>A studio in a fresh temp root whose engine downloads from <paramref name="hub"/>, retrying quickly.</summary>
    public static StudioEngine Studio(FakeHub hub, int attempts = 3) =>
        new(new StudioPaths(TinyModels.TempDir())) { Hub = new HubDownloadOptions { Endpoint = hub.Endpoint, Attempts = attempts, RetryDelay = TimeSpan.FromMilliseconds(10) } };

    public static async Task<string> GreedyStory(StudioEngine engine, string model)
    {
        await engine.LoadModelAsync(model);
        var text = "";
        await foreach (var chunk in engine.GenerateAsync("Once upon a time", GenerationOptions.Greedy(30)))
            text += chunk.Text;
        return text;
    }
}
