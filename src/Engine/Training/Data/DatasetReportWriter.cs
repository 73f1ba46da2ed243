using System.Text;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Training;

/// <summary>Summarizes built examples for <see cref="DatasetReport"/>: token counts, a length histogram and decoded samples.</summary>
internal static class DatasetReportWriter
{
    private const int HistogramBuckets = 8;
    private const int SampleCount = 3;

    public static DatasetReport Write(DatasetKind kind, ExampleCollector source, IReadOnlyList<TrainingExample> train,
        IReadOnlyList<TrainingExample> eval, IReadOnlyList<DatasetProblem> problems, int cutoff, ITextTokenizer tokenizer) =>
        new(kind, source.Rows, train.Count,
            Tokens: train.Sum(e => (long)e.InputIds.Length),
            TrainableTokens: train.Sum(e => (long)e.Targets.Count(t => t)),
            Histogram(train, cutoff), source.TruncatedRows, source.DroppedRows, problems,
            [.. train.Take(SampleCount).Select(e => Segments(e, tokenizer))], eval.Count);

    /// <summary>Up to eight equal-width buckets covering 1..cutoff tokens; every example falls in one.</summary>
    private static List<LengthBucket> Histogram(IReadOnlyList<TrainingExample> examples, int cutoff)
    {
        int width = (cutoff + HistogramBuckets - 1) / HistogramBuckets;
        var counts = new int[(cutoff + width - 1) / width];
        foreach (var example in examples) counts[(example.InputIds.Length - 1) / width]++;
        return [.. counts.Select((count, i) => new LengthBucket(i * width + 1, Math.Min((i + 1) * width, cutoff), count))];
    }

    /// <summary>
    /// Runs of tokens with the same target flag, as text. Bytes are joined before decoding so characters split
    /// across tokens survive; special tokens, which have no text, show as [BOS], [EOS] or [special id].
    /// </summary>
    private static IReadOnlyList<TemplateSegment> Segments(TrainingExample example, ITextTokenizer tokenizer)
    {
        var segments = new List<TemplateSegment>();
        var bytes = new List<byte>();
        for (int i = 0; i < example.InputIds.Length; i++)
        {
            int id = example.InputIds[i];
            if (tokenizer.IsSpecial(id))
                bytes.AddRange(Encoding.UTF8.GetBytes(id == tokenizer.BosId ? "[BOS]" : tokenizer.EosIds.Contains(id) ? "[EOS]" : $"[special {id}]"));
            else bytes.AddRange(tokenizer.TokenBytes(id));
            if (i + 1 == example.InputIds.Length || example.Targets[i + 1] != example.Targets[i])
            {
                segments.Add(new TemplateSegment(Encoding.UTF8.GetString([.. bytes]), example.Targets[i]));
                bytes.Clear();
            }
        }
        return segments;
    }
}
