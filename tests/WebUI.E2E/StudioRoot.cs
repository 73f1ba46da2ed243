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
    /// <summary>A run trained before this session (its records only), for the Runs tab to compare with the new one.</summary>
    public const string EarlierRun = "sue-earlier";

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
        WriteEarlierRun();
    }

    // What a run leaves beside its adapter: settings and a loss curve, as TrainingRecordFiles writes them.
    private void WriteEarlierRun()
    {
        var folder = Directory.CreateDirectory(Path.Combine(Root, "loras", EarlierRun)).FullName;
        File.WriteAllText(Path.Combine(folder, "training_parameters.json"), new System.Text.Json.Nodes.JsonObject
        {
            ["method"] = "lora", ["base_model"] = ModelName, ["learning_rate"] = 0.001, ["epochs"] = 1,
            ["lora"] = new System.Text.Json.Nodes.JsonObject { ["rank"] = 4, ["alpha"] = 8 },
            ["dataset"] = new System.Text.Json.Nodes.JsonObject { ["file"] = "sue-stories.txt", ["sha256"] = new string('0', 64) },
        }.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "training_log.json"), new System.Text.Json.Nodes.JsonObject
        {
            ["steps"] = 3, ["train_loss"] = 2.5, ["tokens_per_second"] = 3000.0,
            ["train_curve"] = new System.Text.Json.Nodes.JsonArray(
                new System.Text.Json.Nodes.JsonObject { ["step"] = 1, ["loss"] = 3.5, ["tokens"] = 2048 },
                new System.Text.Json.Nodes.JsonObject { ["step"] = 3, ["loss"] = 2.5, ["tokens"] = 6144 }),
            ["eval_curve"] = new System.Text.Json.Nodes.JsonArray(),
        }.ToJsonString());
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
