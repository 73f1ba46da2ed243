using WebUI.Engine.Generation;

namespace WebUI.Engine.Training;

/// <summary>
/// What building a dataset produced, for the UI's dataset check. Rows, truncation, drops and problems describe the
/// dataset file (eval-file problems are listed too, prefixed "eval file"); token counts and the histogram describe
/// the training examples. <see cref="Samples"/> shows the first three training examples decoded as runs of
/// (text, trainable) so a user can see exactly where the loss applies.
/// </summary>
public sealed record DatasetReport(DatasetKind Kind, int Rows, int Examples, long Tokens, long TrainableTokens,
    IReadOnlyList<LengthBucket> LengthHistogram, int TruncatedRows, int DroppedRows, IReadOnlyList<DatasetProblem> Problems,
    IReadOnlyList<IReadOnlyList<TemplateSegment>> Samples, int EvalExamples);

/// <summary>How many examples are From..To tokens long (both inclusive).</summary>
public sealed record LengthBucket(int From, int To, int Count);

/// <summary>A row-level warning: the row was truncated, or dropped and why. Row is 1-based.</summary>
public sealed record DatasetProblem(int Row, string Message);
