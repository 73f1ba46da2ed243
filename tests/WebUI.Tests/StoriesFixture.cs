using System.Runtime.CompilerServices;
using WebUI.Cli;
using WebUI.Engine;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;

namespace WebUI.Tests;

/// <summary>
/// stories260K with a studio folder of its own, and datasets of its own stories with the girl renamed "Sue"
/// (greedy decoding says "Lily"). Built once for all the tests that share it.
/// </summary>
public sealed class StoriesFixture : IDisposable
{
    public const string NewName = "Sue";

    public StoriesFixture()
    {
        StoriesPath = WebUI.Engine.Tests.SharedModels.Dir("stories260K");
        Root = Path.Combine(Path.GetTempPath(), "webui-tests", Guid.NewGuid().ToString("N"));
        Paths = new StudioPaths(Root);
        Paths.EnsureFolders();
        Worker = new TorchWorker("stories-fixture");
        Stories = Worker.Run(() =>
        {
            using var model = ModelLoader.Load(StoriesPath, ComputeDevice.Cpu);
            return RenamedStories.Generate(model, NewName, 300, seed: 1);
        }).Result;
        RenamedStories.WriteText(Path.Combine(Paths.Datasets, "sue.txt"), Stories);
        RenamedStories.WriteAlpaca(Path.Combine(Paths.Datasets, "sue-alpaca.json"), Stories);
        File.Copy(Path.Combine(RepositoryRoot(), "training", "formats", "alpaca-format.json"), Path.Combine(Paths.Formats, "alpaca-format.json"));
    }

    public string StoriesPath { get; }
    public string Root { get; }
    public StudioPaths Paths { get; }
    public TorchWorker Worker { get; }
    public IReadOnlyList<string> Stories { get; }

    /// <summary>The checkout this test was compiled from (tests/WebUI.Tests/ is two levels below it), wherever the build output went.</summary>
    public static string RepositoryRoot([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", ".."));

    public void Dispose()
    {
        Worker.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
