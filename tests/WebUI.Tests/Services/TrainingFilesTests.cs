using WebUI.Engine.Studio;
using WebUI.Services;

namespace WebUI.Tests.Services;

/// <summary>What the Training tab offers: never a half-written upload, a staging folder or a backup.</summary>
public sealed class TrainingFilesTests : IDisposable
{
    private readonly StudioPaths paths = new(Directory.CreateTempSubdirectory("training-files-").FullName);

    public void Dispose() => Directory.Delete(paths.Root, recursive: true);

    [Fact]
    public void Lists_skip_staging_partial_and_backup_entries()
    {
        Directory.CreateDirectory(paths.Datasets);
        foreach (var name in new[] { "stories.txt", ".upload.tmp-abc", "rows.jsonl.tmp-abc", "old.json.saving-abc" })
            File.WriteAllText(Path.Combine(paths.Datasets, name), "x");
        foreach (var name in new[] { "sue", "sue.backup-20260101-000000", ".sue.saving-abc", "sue.tmp-abc" })
        {
            var folder = Directory.CreateDirectory(Path.Combine(paths.Loras, name)).FullName;
            File.WriteAllText(Path.Combine(folder, TrainingFiles.ParametersFile), "{}");
        }

        Assert.Equal(["stories.txt"], TrainingFiles.Datasets(paths));
        Assert.Equal(["loras/sue"], TrainingFiles.EarlierRuns(paths).Select(r => r.Label));
    }

    [Fact]
    public void Only_a_complete_checkpoint_counts_as_something_to_resume()
    {
        var partial = Directory.CreateDirectory(Path.Combine(paths.Checkpoints, "run", ".checkpoint-000004.saving-abc")).FullName;
        File.WriteAllText(Path.Combine(partial, "trainer_state.json"), "{}");

        Assert.StartsWith("nothing to resume", TrainingFiles.NameConflict(paths, full: false, "run", resume: true, overwrite: false));
        Assert.Null(TrainingFiles.NameConflict(paths, full: false, "run", resume: false, overwrite: false));

        var complete = Directory.CreateDirectory(Path.Combine(paths.Checkpoints, "run", "checkpoint-000002")).FullName;
        File.WriteAllText(Path.Combine(complete, "trainer_state.json"), "{}");
        Assert.Null(TrainingFiles.NameConflict(paths, full: false, "run", resume: true, overwrite: false));
        Assert.Contains("has checkpoints", TrainingFiles.NameConflict(paths, full: false, "run", resume: false, overwrite: false));
    }
}
