using WebUI.Engine.Studio;
using WebUI.Engine.Training;

namespace WebUI.Components.Training;

/// <summary>
/// A rough figure for the memory a run needs, shown beside the memory free, so an out-of-memory run can be seen
/// coming. It is an estimate, not a measurement (the progress line reports the real RSS once training runs):
/// <code>
/// weights + state = WeightBytes × 1.3 (LoRA: frozen weights, plus small adapters with their gradients and Adam moments, plus slack)
///                   WeightBytes × 4.5 (Full: weights, gradients and two Adam moments, plus slack)
/// activations     = micro batch × cutoff × hidden × 34 bytes per layer × (element bytes / 2) × layers
///                   (34 bytes per token and hidden unit is Korthikanti et al. 2022's count for a 16-bit transformer
///                   layer, attention scores left out; fp32 doubles it). Gradient checkpointing keeps one layer's worth
///                   plus every layer's saved input (micro batch × cutoff × hidden × element bytes).
/// logits          = micro batch × cutoff × vocabulary × 4 bytes × 3 (fp32 logits, their softmax and its gradient)
/// </code>
/// </summary>
public sealed record MemoryEstimate(long WeightBytes, long StateBytes, long ActivationBytes, long? AvailableBytes)
{
    public long TotalBytes => WeightBytes + StateBytes + ActivationBytes;
    /// <summary>What the run adds to the process: the weights are loaded already.</summary>
    public long AdditionalBytes => StateBytes + ActivationBytes;
    public bool LikelyTooBig => AvailableBytes is { } free && AdditionalBytes > free;

    /// <param name="method">The method to estimate for; null: the form's.</param>
    public static MemoryEstimate For(LoadedModelInfo model, ModelShape shape, TrainingForm form, TrainingMethod? method = null)
    {
        double elementBytes = model.DType.Contains("16") ? 2 : 4;
        double tokens = (double)form.MicroBatchSize * form.Cutoff;
        double perLayer = tokens * shape.HiddenSize * 34 * (elementBytes / 2);
        double activations = form.GradientCheckpointing
            ? perLayer + shape.Layers * tokens * shape.HiddenSize * elementBytes
            : perLayer * shape.Layers;
        double logits = tokens * shape.VocabSize * 4 * 3;
        double stateFactor = (method ?? form.Method) == TrainingMethod.Lora ? 1.3 : 4.5;
        return new MemoryEstimate(model.WeightBytes, (long)(model.WeightBytes * (stateFactor - 1)), (long)(activations + logits), MemAvailableBytes());
    }

    /// <summary>MemAvailable from /proc/meminfo (Linux); null where there is none.</summary>
    public static long? MemAvailableBytes()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemAvailable:"));
            return line is null ? null : long.Parse(line["MemAvailable:".Length..].Trim().Split(' ')[0]) * 1024;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
