using WebUI.Engine.Training;

namespace WebUI.Engine.Studio;

/// <summary>Training runs as the Runs tab handles them: listed, imported, renamed and deleted.</summary>
public sealed partial class StudioEngine
{
    /// <summary>Every training run (finished, imported or stopped), newest first.</summary>
    public IReadOnlyList<RunEntry> ListRuns() => RunCatalog.List(Paths);

    /// <summary>Brings a run trained elsewhere into loras/ or models/ (file copies, off the torch workers); the lists then show it.</summary>
    public async Task<ImportedRun> ImportRunAsync(string folder, string? name, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        var imported = await Task.Run(() => RunImport.Import(folder, Paths, name, overwrite), cancellationToken);
        RaiseChanged();
        return imported;
    }

    /// <summary>Writes the run these options describe as a job for axolotl or LLaMA-Factory in jobs/NAME (file work, off the torch workers); returns its folder.</summary>
    public async Task<string> ExportJobAsync(TrainingOptions options, CancellationToken cancellationToken = default)
    {
        var model = Model ?? throw NoModel();
        var folder = StudioPaths.Inside(Paths.Jobs, options.OutputName);
        await Task.Run(() => JobExport.Write(folder, options, model.Path, options.Overwrite), cancellationToken);
        return folder;
    }

    /// <summary>Renames a run's output and its checkpoints; refused for a run in use (training, applied or loaded) or onto an existing name.</summary>
    public void RenameRun(RunEntry run, string newName)
    {
        ThrowIfInUse(run);
        var output = OutputFolder(run);
        var renamed = StudioPaths.Inside(Path.GetDirectoryName(output)!, newName);
        var checkpoints = StudioPaths.Inside(Paths.Checkpoints, run.Name);
        if (Directory.Exists(renamed) || Directory.Exists(StudioPaths.Inside(Paths.Checkpoints, newName)))
            throw new IOException($"a run named '{newName}' exists already; choose another name");
        if (Directory.Exists(output)) Directory.Move(output, renamed);
        if (Directory.Exists(checkpoints)) Directory.Move(checkpoints, StudioPaths.Inside(Paths.Checkpoints, newName));
        RaiseChanged();
    }

    /// <summary>
    /// Deletes a run: its checkpoints and its training records, and with <paramref name="removeOutputs"/> its adapter or
    /// model too; without, the output stays usable (it just leaves the Runs list).
    /// </summary>
    public void DeleteRun(RunEntry run, bool removeOutputs)
    {
        ThrowIfInUse(run);
        var output = OutputFolder(run);
        var checkpoints = StudioPaths.Inside(Paths.Checkpoints, run.Name);
        if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
        if (Directory.Exists(output)) // a stopped run has none: its checkpoints were all of it
        {
            if (removeOutputs) Directory.Delete(output, recursive: true);
            else
                foreach (var record in new[] { TrainingRecordFiles.LogFileName, TrainingRecordFiles.ParametersFileName })
                    File.Delete(Path.Combine(output, record));
        }
        RaiseChanged();
    }

    private string OutputFolder(RunEntry run) =>
        StudioPaths.Inside(run.Method == "full" ? Paths.Models : Paths.Loras, run.Name);

    private void ThrowIfInUse(RunEntry run)
    {
        if (IsTraining && Training.JobName == run.Name) throw new InvalidOperationException($"'{run.Name}' is training; stop it first");
        if (DefaultAdapters.Any(a => a.Name == run.Name)) throw new InvalidOperationException($"'{run.Name}' is applied on the Model tab; remove it there first");
        if (run.Method == "full" && Model?.Name == run.Name) throw new InvalidOperationException($"'{run.Name}' is the loaded model; unload it first");
    }
}
