using System.Runtime.CompilerServices;
using WebUI.Cli;
using WebUI.Engine;
using WebUI.Engine.Loading;

namespace WebUI.E2E;

/// <summary>
/// A temp studio root as a new user would have it (stories260K copied into models/), plus the dataset the user
/// drops on the Training tab: stories260K's own stories with the little girl renamed "Sue" (greedy decoding says
/// "Lily"), so a reply of "Sue" shows that the adapter took.
/// </summary>
public sealed class StudioRoot : IDisposable
{
    public const string ModelName = "stories260K";
    public const string NewName = "Sue";

    public StudioRoot()
    {
        Root = Path.Combine(Path.GetTempPath(), "webui-e2e", Guid.NewGuid().ToString("N"));
        var model = Directory.CreateDirectory(Path.Combine(Root, "models", ModelName)).FullName;
        foreach (var file in Directory.GetFiles(Engine.Tests.SharedModels.Dir(ModelName)))
            File.Copy(file, Path.Combine(model, Path.GetFileName(file)));

        // The dataset lives outside the studio, like a file on the user's desktop.
        Dataset = Path.Combine(Root + "-upload", "sue-stories.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(Dataset)!);
        using var worker = new TorchWorker("e2e-dataset");
        var stories = worker.Run(() =>
        {
            // One thread: the model is tiny, and two threads crawl when the machine is busy (OpenMP spin-waits).
            TorchSharp.torch.set_num_threads(1);
            using var loaded = ModelLoader.Load(model, ComputeDevice.Cpu);
            return RenamedStories.Generate(loaded, NewName, 300, seed: 7);
        }).Result;
        RenamedStories.WriteText(Dataset, stories);
    }

    public string Root { get; }
    public string Dataset { get; }

    /// <summary>tests/WebUI.E2E/ in the checkout this test was compiled from.</summary>
    public static string ProjectDir([CallerFilePath] string thisFile = "") => Path.GetDirectoryName(thisFile)!;

    public static string RepositoryRoot => Path.GetFullPath(Path.Combine(ProjectDir(), "..", ".."));

    public void Dispose()
    {
        foreach (var dir in new[] { Root, Path.GetDirectoryName(Dataset)! })
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }
}
