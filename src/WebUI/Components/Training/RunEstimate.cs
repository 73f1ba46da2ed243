using WebUI.Engine.Studio;
using WebUI.Engine.Training;

namespace WebUI.Components.Training;

/// <summary>
/// What the Training tab expects of a run before it starts: its memory, its output's size on disk, and its time per
/// epoch (from the last run of this model with the method, when there is one). Kept by the tab that started the run
/// and set beside what the run measured when it ends.
/// </summary>
public sealed record RunEstimate(MemoryEstimate Memory, long OutputBytes, TimeSpan? EpochTime)
{
    public static RunEstimate For(LoadedModelInfo model, ModelShape shape, TrainingForm form, long? datasetTokens, IReadOnlyList<RunEntry> runs,
        TrainingMethod? method = null)
    {
        var m = method ?? form.Method;
        return new(MemoryEstimate.For(model, shape, form, m), OutputBytesOf(model, shape, form, m), EpochTimeOf(model, m, datasetTokens, runs));
    }

    /// <summary>
    /// A LoRA's A and B (and DoRA's magnitudes) at the model's element size, with the safetensors header's entry for
    /// each (about 128 bytes of JSON: it matters for small adapters); a full fine-tune's whole weights.
    /// </summary>
    public static long OutputBytesOf(LoadedModelInfo model, ModelShape shape, TrainingForm form, TrainingMethod method)
    {
        if (method == TrainingMethod.Full) return model.WeightBytes;
        var targets = form.AllLinear ? null : form.TargetModules;
        long tensors = shape.LoraTargets(targets).Count() * (form.UseDora ? 3 : 2);
        return shape.LoraParameters(form.LoraRank, targets, form.UseDora) * (model.DType.Contains("16") ? 2 : 4) + tensors * HeaderBytesPerTensor;
    }

    private const long HeaderBytesPerTensor = 128;

    /// <summary>The dataset's tokens at the speed the last run of this model with the method measured; null without either.</summary>
    public static TimeSpan? EpochTimeOf(LoadedModelInfo model, TrainingMethod method, long? datasetTokens, IReadOnlyList<RunEntry> runs)
    {
        var name = method == TrainingMethod.Full ? "full" : "lora";
        var speed = runs.FirstOrDefault(r => r.Method == name && r.BaseModel == model.Name && r.TokensPerSecond is > 0)?.TokensPerSecond;
        return datasetTokens is { } tokens && speed is { } s ? TimeSpan.FromSeconds(tokens / s) : null;
    }

    public static string Duration(TimeSpan time) =>
        time.TotalHours >= 1 ? $"~{(int)time.TotalHours}h {time.Minutes:00}m" : time.TotalMinutes >= 1 ? $"~{time.Minutes}m {time.Seconds:00}s" : $"~{Math.Max(time.TotalSeconds, 0.1):0.#}s";
}
