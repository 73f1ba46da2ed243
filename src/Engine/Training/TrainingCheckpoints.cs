using System.Text.Json;
using WebUI.Engine.Loading;
using static TorchSharp.torch;

namespace WebUI.Engine.Training;

/// <summary>
/// Resumable checkpoints in CHECKPOINTS/checkpoint-NNNNNN/: trainable weights, optimizer moments, random state
/// and the run's curves. Each is written in a temporary folder and renamed, so a crash never leaves half of one.
/// </summary>
public static class TrainingCheckpoints
{
    private const string StateFile = "trainer_state.json", OptimizerFile = "optimizer.safetensors", RandomKey = "__dropout_random_state";

    public static string Save(string folder, TrainingState state, TrainableWeights weights, AdamW optimizer, Generator dropoutRandom)
    {
        var target = Path.Combine(folder, $"checkpoint-{state.Step:D6}");
        // Rename over: there is no moment without a complete checkpoint of this step.
        Adapters.AtomicFolder.Write(target, Adapters.ExistingFolder.Discard, staging =>
        {
            weights.SaveCheckpoint(staging);
            using var rng = dropoutRandom.get_state();
            SafeTensorsWriter.Write(Path.Combine(staging, OptimizerFile), optimizer.StateTensors().Append(KeyValuePair.Create(RandomKey, rng)),
                new Dictionary<string, string> { ["optimizer_steps"] = optimizer.Steps.ToString() });
            AtomicFile.WriteAllText(Path.Combine(staging, StateFile), JsonSerializer.Serialize(state));
        });
        return target;
    }

    /// <summary>
    /// After a kill -9: a checkpoint renamed aside (NAME.tmp-old-*) whose replacement never arrived is renamed back,
    /// then every other staging/partial folder is deleted.
    /// </summary>
    public static void RecoverAndClean(string folder)
    {
        if (!Directory.Exists(folder)) return;
        foreach (var old in Directory.GetDirectories(folder, "checkpoint-*.tmp-old-*"))
        {
            var name = Path.GetFileName(old);
            var target = Path.Combine(folder, name[..name.IndexOf(".tmp-old-", StringComparison.Ordinal)]);
            if (!Directory.Exists(target)) Directory.Move(old, target);
        }
        StagingNames.CleanStale(folder);
    }

    public static string? Newest(string folder) => Directory.Exists(folder)
        ? Directory.GetDirectories(folder, "checkpoint-*").Where(d => !StagingNames.IsHiddenFromListings(d) && File.Exists(Path.Combine(d, StateFile))).Order().LastOrDefault()
        : null;

    /// <summary>Where the run stood at that checkpoint (its steps, curves and time).</summary>
    public static TrainingState ReadState(string checkpoint) =>
        JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(Path.Combine(checkpoint, StateFile)))
            ?? throw new InvalidModelException($"{checkpoint}: unreadable {StateFile}");

    /// <summary>Loads the newest checkpoint into the weights, optimizer and dropout generator; the state to continue from.</summary>
    public static TrainingState RestoreNewest(string folder, TrainableWeights weights, AdamW optimizer, Generator dropoutRandom)
    {
        RecoverAndClean(folder);
        var newest = Newest(folder) ?? throw new InvalidOperationException($"nothing to resume: no checkpoint in {folder}");
        var state = ReadState(newest);
        weights.LoadCheckpoint(newest);
        using var file = SafeTensorsFile.Open(Path.Combine(newest, OptimizerFile));
        optimizer.Restore(int.Parse(file.Metadata["optimizer_steps"]), name => file.Read(name));
        using (var rng = file.Read(RandomKey)) dropoutRandom.set_state(rng);
        return state with { SessionStart = state.TrainSeconds };
    }
}
