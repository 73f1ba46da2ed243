using WebUI.Engine.Training;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;

namespace WebUI.Services;

/// <summary>An earlier run whose training_parameters.json can fill the Training form: "loras/NAME" or "models/NAME".</summary>
public sealed record EarlierRun(string Label, string ParametersPath, DateTime Written);

/// <summary>What the Training tab offers from disk, read afresh on each call so new files appear without a reload.</summary>
public static class TrainingFiles
{
    public const string ParametersFile = WebUI.Engine.Training.TrainingRecordFiles.ParametersFileName;

    /// <summary>Dataset files in training/datasets, by name (half-written uploads and hidden files left out).</summary>
    public static IReadOnlyList<string> Datasets(StudioPaths paths) => Names(paths.Datasets,
        name => DatasetUploads.Extensions.Contains(Path.GetExtension(name).ToLowerInvariant()));

    /// <summary>Format files in training/formats, by name.</summary>
    public static IReadOnlyList<string> Formats(StudioPaths paths) => Names(paths.Formats,
        name => Path.GetExtension(name).Equals(".json", StringComparison.OrdinalIgnoreCase));

    /// <summary>Folders in loras/ and models/ that training wrote, newest first.</summary>
    public static IReadOnlyList<EarlierRun> EarlierRuns(StudioPaths paths) =>
    [
        .. new[] { ("loras", paths.Loras), ("models", paths.Models) }
            .Where(f => Directory.Exists(f.Item2))
            .SelectMany(f => Directory.GetDirectories(f.Item2).Select(d => (Label: $"{f.Item1}/{Path.GetFileName(d)}", File: Path.Combine(d, ParametersFile))))
            .Where(r => File.Exists(r.File) && !StagingNames.IsHiddenFromListings(r.Label))
            .Select(r => new EarlierRun(r.Label, r.File, File.GetLastWriteTime(r.File)))
            .OrderByDescending(r => r.Written),
    ];

    /// <summary>
    /// Why a run named <paramref name="name"/> would be refused as set up (its output exists, an interrupted run left
    /// checkpoints, or there is nothing to resume), worded for the form; null when it can start. The name must be plain.
    /// </summary>
    public static string? NameConflict(StudioPaths paths, bool full, string name, bool resume, bool overwrite)
    {
        var output = $"{(full ? "models" : "loras")}/{name}";
        bool hasCheckpoints = TrainingCheckpoints.Newest(Path.Combine(paths.Checkpoints, name)) is not null; // what Resume would load
        if (resume) return hasCheckpoints ? null : $"nothing to resume: '{name}' has no checkpoints (they are written every n steps and when a run is stopped)";
        if (overwrite) return null;
        if (Directory.Exists(Path.Combine(paths.Root, output))) return $"{output} exists already: choose another name, or tick Overwrite (the old one is kept as a backup)";
        return hasCheckpoints ? $"an interrupted run named '{name}' has checkpoints: tick Resume to continue it, or Overwrite to start again" : null;
    }

    private static IReadOnlyList<string> Names(string folder, Func<string, bool> wanted) => Directory.Exists(folder)
        ? [.. Directory.EnumerateFiles(folder).Select(Path.GetFileName).OfType<string>()
            .Where(n => StudioPaths.IsPlainName(n) && !StagingNames.IsHiddenFromListings(n) && wanted(n)).Order(StringComparer.OrdinalIgnoreCase)]
        : [];
}
