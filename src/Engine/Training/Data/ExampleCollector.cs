namespace WebUI.Engine.Training;

/// <summary>
/// Gathers the examples of one dataset file and the row-level bookkeeping that goes into its report: rows seen,
/// rows truncated or dropped, and a problem line for each.
/// </summary>
internal sealed class ExampleCollector(int cutoff)
{
    public List<TrainingExample> Examples { get; } = [];
    public List<DatasetProblem> Problems { get; } = [];
    public int Rows { get; private set; }
    public int TruncatedRows { get; private set; }
    public int DroppedRows { get; private set; }

    public void CountRow() => Rows++;

    /// <summary>
    /// A whole row as one example, cut to the cutoff. Position 0 never counts as a target; a row left with nothing
    /// to predict is dropped.
    /// </summary>
    public void AddRow(int row, List<int> ids, List<bool> trainable)
    {
        int length = ids.Count;
        if (length > cutoff)
        {
            ids.RemoveRange(cutoff, length - cutoff);
            trainable.RemoveRange(cutoff, length - cutoff);
        }
        if (trainable.Count > 0) trainable[0] = false;
        if (!trainable.Contains(true))
        {
            Drop(row, length > cutoff
                ? $"dropped: {length} tokens and nothing trainable within the first {cutoff} (cutoff); raise Cutoff or shorten the prompt"
                : "dropped: nothing to train on");
            return;
        }
        if (length > cutoff)
        {
            TruncatedRows++;
            Problems.Add(new DatasetProblem(row, $"truncated: {length} tokens cut to {cutoff} (cutoff)"));
        }
        Examples.Add(new TrainingExample([.. ids], [.. trainable], row));
    }

    /// <summary>A raw-text block: every token but the first is a target.</summary>
    public void AddBlock(int row, ReadOnlySpan<int> ids)
    {
        var targets = new bool[ids.Length];
        targets.AsSpan(1).Fill(true);
        Examples.Add(new TrainingExample(ids.ToArray(), targets, row));
    }

    public void Drop(int row, string reason)
    {
        DroppedRows++;
        Problems.Add(new DatasetProblem(row, reason));
    }

    /// <summary>A warning that neither truncates nor drops the row.</summary>
    public void Warn(int row, string message) => Problems.Add(new DatasetProblem(row, message));
}
