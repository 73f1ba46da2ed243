using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Studio;
using WebUI.Engine.Training;

namespace WebUI.Components.Training;

/// <summary>
/// The Training tab's settings as the user edits them. Defaults are read from the engine's option records, so the
/// form and the command line always agree; <see cref="ToOptions"/> turns the form into what the engine runs.
/// </summary>
public sealed class TrainingForm
{
    private static readonly TrainingOptions Defaults = new() { OutputName = "defaults", Data = new DatasetOptions { DatasetPath = "defaults" } };

    // Dataset: file names in training/datasets and training/formats; null means none chosen.
    public string? Dataset { get; set; }
    public string? Format { get; set; }
    public string? ChatTemplateName { get; set; }
    /// <summary>How the chosen dataset reads, once known; the chat template is passed on only for conversations.</summary>
    public DatasetKind? DatasetKind { get; set; }
    public string? EvalDataset { get; set; }
    /// <summary>A file in training/datasets to measure forgetting on; null: none.</summary>
    public string? ReferenceText { get; set; }
    /// <summary>An adapter in loras/ the LoRA continues from; null: a new one.</summary>
    public string? StartFromAdapter { get; set; }
    public double EvalFraction { get; set; } = Defaults.Data.EvalFraction;
    public int Cutoff { get; set; } = Defaults.Data.Cutoff;
    /// <summary>Null until the user sets one; the field shows <see cref="EffectiveOverlap"/>, which follows the cutoff.</summary>
    public int? Overlap { get; set; }
    public int EffectiveOverlap => Overlap ?? DatasetOptions.DefaultOverlap(Cutoff);
    /// <summary>As typed, with \n and \t escapes (the default is three newlines, which a text field cannot show).</summary>
    public string HardCut { get; set; } = Escape(Defaults.Data.HardCut);
    public bool AddEos { get; set; } = Defaults.Data.AddEos;
    public string TrainOnlyAfter { get; set; } = Defaults.Data.TrainOnlyAfter ?? "";

    public TrainingMethod Method { get; set; } = Defaults.Method;
    public int LoraRank { get; set; } = Defaults.Lora.Rank;
    public double LoraAlpha { get; set; } = Defaults.Lora.Alpha;
    public double LoraDropout { get; set; } = Defaults.Lora.Dropout;
    public bool UseRsLora { get; set; } = Defaults.Lora.UseRsLora;
    public bool UseDora { get; set; } = Defaults.Lora.UseDora;
    public bool AllLinear { get; set; } = Defaults.Lora.TargetModules is null;
    public HashSet<string> TargetModules { get; set; } = [];

    public double LearningRate { get; set; } = Defaults.LearningRate;
    public SchedulerKind Scheduler { get; set; } = Defaults.Scheduler;
    public int WarmupSteps { get; set; } = Defaults.WarmupSteps;
    public double Epochs { get; set; } = Defaults.Epochs;
    public int MicroBatchSize { get; set; } = Defaults.MicroBatchSize;
    /// <summary>Null until the user sets one; the field shows <see cref="EffectiveBatchSize"/>, which follows the micro batch.</summary>
    public int? BatchSize { get; set; }
    public int EffectiveBatchSize => BatchSize ?? TrainingOptions.DefaultBatchSize(MicroBatchSize);
    public double MaxGradNorm { get; set; } = Defaults.MaxGradNorm;
    public double WeightDecay { get; set; } = Defaults.WeightDecay;
    public int EvalEvery { get; set; } = Defaults.EvalEvery;
    public int SaveEvery { get; set; } = Defaults.SaveEvery;
    public double? StopAtLoss { get; set; } = Defaults.StopAtLoss;
    public KeptWeights Keep { get; set; } = Defaults.Keep;
    public int Seed { get; set; } = Defaults.Seed;
    public bool GradientCheckpointing { get; set; } = Defaults.GradientCheckpointing;
    public bool FreezeEmbeddings { get; set; } = Defaults.FreezeEmbeddings;

    public string Name { get; set; } = "";
    public bool Resume { get; set; } = Defaults.Resume;
    public bool Overwrite { get; set; } = Defaults.Overwrite;

    /// <summary>What the dataset check and the run read; throws <see cref="ArgumentException"/> (or FileNotFound) with a readable message.</summary>
    public DatasetOptions ToDatasetOptions(StudioPaths paths, IReadOnlyList<ChatTemplate> templates) => new DatasetOptions
    {
        DatasetPath = paths.Dataset(Dataset ?? throw new ArgumentException("Choose a dataset, or drop a file on the box above", nameof(Dataset))),
        FormatPath = Format is null ? null : paths.Format(Format),
        ChatTemplate = DatasetKind is null or Engine.Training.DatasetKind.Chat ? templates.FirstOrDefault(t => t.Name == ChatTemplateName) : null,
        EvalDatasetPath = EvalDataset is null ? null : paths.Dataset(EvalDataset),
        EvalFraction = EvalDataset is null ? EvalFraction : 0,
        Cutoff = Cutoff, Overlap = Overlap, HardCut = Unescape(HardCut), AddEos = AddEos,
        TrainOnlyAfter = TrainOnlyAfter.Length == 0 ? null : Unescape(TrainOnlyAfter), Seed = Seed,
    }.Validate();

    public TrainingOptions ToOptions(StudioPaths paths, IReadOnlyList<ChatTemplate> templates) => new TrainingOptions
    {
        OutputName = Name.Trim(), Data = ToDatasetOptions(paths, templates), Method = Method,
        Lora = new LoraOptions
        {
            Rank = LoraRank, Alpha = LoraAlpha, Dropout = LoraDropout, UseRsLora = UseRsLora, UseDora = UseDora,
            TargetModules = AllLinear ? null : [.. TargetModules.Order(StringComparer.Ordinal)],
        },
        LearningRate = LearningRate, Scheduler = Scheduler, WarmupSteps = WarmupSteps, Epochs = Epochs,
        MicroBatchSize = MicroBatchSize, BatchSize = BatchSize, MaxGradNorm = MaxGradNorm, WeightDecay = WeightDecay,
        EvalEvery = EvalEvery, SaveEvery = SaveEvery, StopAtLoss = StopAtLoss, Keep = Keep, Seed = Seed,
        GradientCheckpointing = GradientCheckpointing, FreezeEmbeddings = Method == TrainingMethod.Full && FreezeEmbeddings,
        ReferenceTextPath = ReferenceText is null ? null : paths.Dataset(ReferenceText),
        StartFromAdapterPath = Method == TrainingMethod.Lora && StartFromAdapter is { } parent ? StudioPaths.Inside(paths.Loras, parent) : null, Resume = Resume, Overwrite = Overwrite,
    }.Validate();

    /// <summary>An output name from a dataset file name: its stem with anything but letters, digits, '-', '_' and '.' turned into '-'.</summary>
    public static string NameFor(string datasetFile)
    {
        var stem = new string([.. Path.GetFileNameWithoutExtension(datasetFile).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')]);
        stem = stem.Trim('-', '.');
        return StudioPaths.IsPlainName(stem) ? stem : "lora";
    }

    public static string Escape(string text) => text.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\t", "\\t");

    public static string Unescape(string text)
    {
        var result = new System.Text.StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 == text.Length) { result.Append(text[i]); continue; }
            result.Append(text[++i] switch { 'n' => '\n', 't' => '\t', var other => other });
        }
        return result.ToString();
    }
}
