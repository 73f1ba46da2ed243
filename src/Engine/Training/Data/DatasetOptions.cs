using WebUI.Engine.Generation;

namespace WebUI.Engine.Training;

/// <summary>How to read and cut a training dataset; text-generation-webui's dataset settings.</summary>
public sealed record DatasetOptions
{
    /// <summary>.txt (raw text), .json (a list of objects) or .jsonl (one object per line).</summary>
    public required string DatasetPath { get; init; }
    /// <summary>A training/formats/*.json file; required for formatted datasets.</summary>
    public string? FormatPath { get; init; }
    /// <summary>Most tokens in one example; longer rows are truncated.</summary>
    public int Cutoff { get; init; } = 256;
    /// <summary>Raw text: tokens shared by consecutive blocks of a section (less than <see cref="Cutoff"/>); null for <see cref="DefaultOverlap"/>.</summary>
    public int? Overlap { get; init; }
    /// <summary>The overlap the cutter uses: the one set, or half the cutoff (a fixed default would outgrow a small cutoff).</summary>
    public int EffectiveOverlap => Overlap ?? DefaultOverlap(Cutoff);
    /// <summary>Raw text: sections are split here before cutting into blocks; empty for no hard cut.</summary>
    public string HardCut { get; init; } = "\n\n\n";
    /// <summary>End each raw-text section, formatted row or chat ending with an assistant turn with EOS.</summary>
    public bool AddEos { get; init; } = true;
    /// <summary>Formatted: only text after this marker is trained on (e.g. "### Response:"); null or empty trains on all.</summary>
    public string? TrainOnlyAfter { get; init; }
    /// <summary>Chat datasets: how conversations are rendered; null means <see cref="Generation.ChatTemplate.PlainText"/>.</summary>
    public ChatTemplate? ChatTemplate { get; init; }
    /// <summary>A separate evaluation file of the same kind (and format); excludes <see cref="EvalFraction"/>.</summary>
    public string? EvalDatasetPath { get; init; }
    /// <summary>Share of rows held out for evaluation, chosen by a shuffle seeded with <see cref="Seed"/>; 0 for none.</summary>
    public double EvalFraction { get; init; }
    public int Seed { get; init; } = 42;

    /// <summary>The largest cutoff accepted; far beyond any context length the studio trains at.</summary>
    public const int MaxCutoff = 1 << 20;
    /// <summary>The smallest cutoff that leaves room for a prompt and something to predict.</summary>
    public const int MinCutoff = 4;

    /// <summary>The overlap used when none is set: half the cutoff, so 128 at the default cutoff of 256.</summary>
    public static int DefaultOverlap(int cutoff) => cutoff / 2;

    /// <summary>This, or an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public DatasetOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(DatasetPath)) throw new ArgumentException("Dataset is required: pick a dataset file", nameof(DatasetPath));
        if (FormatPath is not null && FormatPath.Trim().Length == 0) throw new ArgumentException("Format is blank: pick a format file, or none", nameof(FormatPath));
        if (Cutoff is < MinCutoff or > MaxCutoff) throw new ArgumentException($"Cutoff Length must be {MinCutoff}..{MaxCutoff} tokens, not {Cutoff}", nameof(Cutoff));
        if (Overlap is < 0 || Overlap >= Cutoff) throw new ArgumentException($"Overlap Length must be 0..{Cutoff - 1} (less than Cutoff Length {Cutoff}), not {Overlap}", nameof(Overlap));
        ArgumentNullException.ThrowIfNull(HardCut, nameof(HardCut));
        if (EvalDatasetPath is not null && EvalDatasetPath.Trim().Length == 0) throw new ArgumentException("Evaluation Dataset is blank: pick a file, or none", nameof(EvalDatasetPath));
        if (!(EvalFraction >= 0 && EvalFraction < 1)) throw new ArgumentException($"Eval fraction must be at least 0 and below 1, not {EvalFraction}", nameof(EvalFraction));
        if (EvalDatasetPath is not null && EvalFraction > 0)
            throw new ArgumentException("Eval fraction and Evaluation Dataset are alternatives; set one", nameof(EvalFraction));
        return this;
    }
}
