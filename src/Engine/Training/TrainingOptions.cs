using WebUI.Engine.Adapters;

namespace WebUI.Engine.Training;

public enum TrainingMethod { Lora, Full }

/// <summary>Every setting of a training run; immutable, and <see cref="Validate"/> rejects nonsense with the option's name.</summary>
public sealed record TrainingOptions
{
    public required string OutputName { get; init; }
    public required DatasetOptions Data { get; init; }
    public TrainingMethod Method { get; init; } = TrainingMethod.Lora;
    public LoraOptions Lora { get; init; } = new();
    public double LearningRate { get; init; } = 3e-4;
    public SchedulerKind Scheduler { get; init; } = SchedulerKind.Cosine;
    public int WarmupSteps { get; init; }
    public double Epochs { get; init; } = 3;
    public int MicroBatchSize { get; init; } = 4;
    /// <summary>Examples per optimizer step; a multiple of <see cref="MicroBatchSize"/> (the rest is gradient accumulation); null for <see cref="DefaultBatchSize"/>.</summary>
    public int? BatchSize { get; init; }
    /// <summary>The batch size the trainer uses: the one set, or one that fits the micro batch (a fixed 16 would refuse a micro batch of 32).</summary>
    public int EffectiveBatchSize => BatchSize ?? DefaultBatchSize(MicroBatchSize);
    public double MaxGradNorm { get; init; } = 1.0;
    public double WeightDecay { get; init; }
    /// <summary>Evaluate every N optimizer steps (0: only at the end).</summary>
    public int EvalEvery { get; init; }
    /// <summary>Write a resumable checkpoint every N optimizer steps (0: never, except on cancel).</summary>
    public int SaveEvery { get; init; }
    /// <summary>Stop once the average train loss of a step falls below this.</summary>
    public double? StopAtLoss { get; init; }
    public int Seed { get; init; } = 42;
    /// <summary>Recompute activations layer by layer in the backward pass, so memory stays near the weights'.</summary>
    public bool GradientCheckpointing { get; init; } = true;
    /// <summary>Full fine-tuning only: keep the token (and position) embeddings fixed.</summary>
    public bool FreezeEmbeddings { get; init; }
    /// <summary>
    /// Staged fine-tuning: an adapter folder whose weights (and rank, alpha, targets) the new LoRA starts from, to
    /// continue on a new dataset into a new output; the parent is recorded in training_parameters.json.
    /// </summary>
    public string? StartFromAdapterPath { get; init; }
    /// <summary>
    /// A text to measure forgetting on: its perplexity under the model before training and under the result, recorded
    /// in training_log.json. A general text, or the base model's own kind of text, not the training data.
    /// </summary>
    public string? ReferenceTextPath { get; init; }
    /// <summary>With an eval set, the weights that become the output: the best by eval loss (default) or the last.</summary>
    public KeptWeights Keep { get; init; } = KeptWeights.Best;
    /// <summary>Continue from the newest checkpoint of this output name.</summary>
    public bool Resume { get; init; }
    /// <summary>Replace an existing output (the old one is kept as a backup).</summary>
    public bool Overwrite { get; init; }

    public int GradientAccumulation => EffectiveBatchSize / MicroBatchSize;

    /// <summary>The batch size at the default micro batch of 4.</summary>
    public const int UsualBatchSize = 16;

    /// <summary>The batch size used when none is set: the smallest multiple of the micro batch that is at least <see cref="UsualBatchSize"/>.</summary>
    public static int DefaultBatchSize(int microBatchSize) => microBatchSize < 1
        ? UsualBatchSize
        : (Math.Max(UsualBatchSize, microBatchSize) + microBatchSize - 1) / microBatchSize * microBatchSize;

    public TrainingOptions Validate()
    {
        void Require(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Require(Studio.StudioPaths.IsPlainName(OutputName), $"output name '{OutputName}' must be a plain folder name (letters, digits, '.', '-', '_')");
        Require(LearningRate > 0 && LearningRate < 1, $"learning rate must be in (0, 1) (got {LearningRate})");
        Require(WarmupSteps >= 0, $"warmup steps must be 0 or more (got {WarmupSteps})");
        Require(Epochs > 0 && Epochs <= 1000, $"epochs must be in (0, 1000] (got {Epochs})");
        Require(MicroBatchSize >= 1 && MicroBatchSize <= 1024, $"micro batch size must be in [1, 1024] (got {MicroBatchSize})");
        Require(EffectiveBatchSize >= MicroBatchSize && EffectiveBatchSize % MicroBatchSize == 0,
            $"batch size ({EffectiveBatchSize}) must be a multiple of micro batch size ({MicroBatchSize})");
        Require(MaxGradNorm >= 0, $"max grad norm must be 0 (off) or positive (got {MaxGradNorm})");
        Require(WeightDecay >= 0 && WeightDecay < 1, $"weight decay must be in [0, 1) (got {WeightDecay})");
        Require(EvalEvery >= 0, $"eval every must be 0 or more (got {EvalEvery})");
        Require(StartFromAdapterPath is null || Method == TrainingMethod.Lora, "only a LoRA can start from an adapter; a full fine-tune starts from the loaded model");
        Require(SaveEvery >= 0, $"save every must be 0 or more (got {SaveEvery})");
        Require(StopAtLoss is null || StopAtLoss > 0, $"stop at loss must be positive (got {StopAtLoss})");
        Require(!(Resume && Overwrite), "resume and overwrite cannot be combined");
        if (Method == TrainingMethod.Lora) Lora.Validate();
        Data.Validate();
        return this;
    }
}
