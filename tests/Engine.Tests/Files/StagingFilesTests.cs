using WebUI.Engine.Loading;
using WebUI.Engine.Studio;
using WebUI.Engine.Training;

namespace WebUI.Engine.Tests.Files;

public sealed class StagingFilesTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("staging-tests-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Make(string name) => Directory.CreateDirectory(Path.Combine(root, name)).FullName;

    [Fact]
    public void Catalogs_NeverListStagingBackupOrDotFolders_AndStartUpCleansOnlyStaging()
    {
        var paths = new StudioPaths(root);
        foreach (var folder in new[] { paths.Models, paths.Loras })
        {
            foreach (var name in new[] { "real", ".real.saving-abc", "real.tmp-abc", "real.backup-20260101-000000", ".hidden" })
                Directory.CreateDirectory(Path.Combine(folder, name));
        }

        Assert.Equal(["real"], ModelCatalog.List(paths.Models).Select(e => e.Name));
        Assert.Equal(["real"], AdapterCatalog.List(paths.Loras).Select(e => e.Name));
        Assert.Equal(5, Directory.GetDirectories(paths.Loras).Length); // listing deletes nothing: a save may be staging

        paths.EnsureFolders();
        foreach (var folder in new[] { paths.Models, paths.Loras })
        {
            var left = Directory.GetDirectories(folder).Select(d => Path.GetFileName(d)!).Order().ToArray();
            Assert.Equal([".hidden", "real", "real.backup-20260101-000000"], left);
        }
    }

    [Fact]
    public void Checkpoints_SkipPartials_AndResumeRecoversACheckpointRenamedAside()
    {
        string Checkpoint(string name)
        {
            var d = Make(name);
            File.WriteAllText(Path.Combine(d, "trainer_state.json"), "{}");
            return d;
        }
        Checkpoint("checkpoint-000001");
        Checkpoint("checkpoint-000009.tmp-abc");
        Checkpoint(".checkpoint-000008.saving-abc");
        Assert.Equal("checkpoint-000001", Path.GetFileName(TrainingCheckpoints.Newest(root)));

        // kill -9 between renaming the old checkpoint aside and moving the new one in.
        Checkpoint("checkpoint-000002.tmp-old-abc");
        TrainingCheckpoints.RecoverAndClean(root);
        var left = Directory.GetDirectories(root).Select(d => Path.GetFileName(d)!).Order().ToArray();
        Assert.Equal(["checkpoint-000001", "checkpoint-000002"], left);
        Assert.Equal("checkpoint-000002", Path.GetFileName(TrainingCheckpoints.Newest(root)));
    }

    [Fact]
    public void A_model_goes_into_an_existing_empty_folder_but_never_over_one_with_files()
    {
        var folder = Make("model");
        using (var first = TinyModels.Create(Modeling.ModelFamily.Llama)) HfModelWriter.Write(first, folder);
        var weights = File.ReadAllBytes(Path.Combine(folder, "model.safetensors"));

        using (var second = TinyModels.Create(Modeling.ModelFamily.Llama, seed: 8))
            Assert.Contains("already exists", Assert.Throws<IOException>(() => HfModelWriter.Write(second, folder)).Message);

        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        Assert.Equal(["model"], Directory.GetDirectories(root).Select(d => Path.GetFileName(d)!)); // no staging left behind
    }

    [Fact]
    public void AtomicFile_ReplacesAndLeavesNoTemp()
    {
        var path = Path.Combine(root, "a.json");
        AtomicFile.WriteAllText(path, "one");
        AtomicFile.WriteAllText(path, "two");
        Assert.Equal("two", File.ReadAllText(path));
        Assert.Equal(["a.json"], Directory.GetFiles(root).Select(Path.GetFileName));
        StagingNames.SyncDirectory(root);
    }
}
