using WebUI.Engine.Training;

namespace WebUI.Engine.Tests.Datasets;

public sealed class DatasetSplitAndReportTests : DatasetFixture
{
    private DatasetOptions Rows(int count, string name = "rows.json") => new()
    {
        DatasetPath = WriteRows(name, [.. Enumerable.Range(1, count).Select(i => new { instruction = $"Count to {i}.", output = string.Join(" ", Enumerable.Range(1, i)) })]),
        FormatPath = Format("alpaca-format.json"),
        TrainOnlyAfter = "### Response:\n",
    };

    [Fact]
    public void EvalFraction_HoldsOutThatShareOfRows_TheSameForTheSameSeed()
    {
        var options = Rows(20) with { EvalFraction = 0.25 };
        var first = DatasetBuilder.Build(options, Tok512);
        var again = DatasetBuilder.Build(options, Tok512);
        var reseeded = DatasetBuilder.Build(options with { Seed = 7 }, Tok512);

        var evalRows = first.Eval.Select(e => e.SourceRow).ToList();
        Assert.Equal(5, evalRows.Count);
        Assert.Equal(15, first.Train.Count);
        Assert.Equal(Enumerable.Range(1, 20), first.Train.Concat(first.Eval).Select(e => e.SourceRow).Order());
        Assert.Equal(evalRows, again.Eval.Select(e => e.SourceRow));
        Assert.NotEqual(evalRows, reseeded.Eval.Select(e => e.SourceRow));
        Assert.Equal(5, first.Report.EvalExamples);
        Assert.Equal(15, first.Report.Examples);
    }

    [Fact]
    public void EvalFraction_NeedsRowsLeftToTrainOn()
    {
        var text = WriteText("one.txt", "The cat sat on the mat and looked at the dog.");
        var e = Assert.Throws<DatasetException>(() => DatasetBuilder.Build(new DatasetOptions { DatasetPath = text, EvalFraction = 0.5 }, Tok512));

        Assert.Contains("one.txt", e.Message);
        Assert.Contains("leaves none to train on", e.Message);
    }

    [Fact]
    public void EvalDataset_IsBuiltTheSameWay_AndMustBeTheSameKind()
    {
        var eval = Rows(4, "eval.jsonl");
        var built = DatasetBuilder.Build(Rows(10) with { EvalDatasetPath = eval.DatasetPath }, Tok512);

        Assert.Equal((10, 4), (built.Train.Count, built.Eval.Count));
        Assert.Equal(DatasetBuilder.Build(eval, Tok512).Train.Select(e => e.InputIds), built.Eval.Select(e => e.InputIds));

        var text = WriteText("eval.txt", "The cat sat on the mat.");
        var e = Assert.Throws<DatasetException>(() => DatasetBuilder.Build(Rows(10) with { EvalDatasetPath = text }, Tok512));
        Assert.Contains("eval.txt is a RawText dataset but rows.json is Formatted", e.Message);
    }

    [Fact]
    public void EvalDatasetErrors_NameTheEvalFile()
    {
        var eval = WriteRows("eval.jsonl", new { instruction = "a", answer = "b" });

        var e = Assert.Throws<DatasetException>(() => DatasetBuilder.Build(Rows(3) with { EvalDatasetPath = eval }, Tok512));
        Assert.StartsWith("eval.jsonl: row 1 has fields {instruction, answer}", e.Message);
    }

    [Fact]
    public void Report_CountsTokensAndItsHistogramCoversEveryExample()
    {
        var built = DatasetBuilder.Build(Rows(40), Tok512);
        var report = built.Report;

        Assert.Equal(built.Train.Count, report.Examples);
        Assert.Equal(built.Train.Sum(e => e.InputIds.Length), report.Tokens);
        Assert.Equal(built.Train.Sum(e => e.Targets.Count(t => t)), report.TrainableTokens);
        Assert.True(report.TrainableTokens < report.Tokens);
        Assert.Equal(report.Examples, report.LengthHistogram.Sum(b => b.Count));
        Assert.Equal(8, report.LengthHistogram.Count);
        Assert.Equal(1, report.LengthHistogram[0].From);
        Assert.Equal(256, report.LengthHistogram[^1].To);
        Assert.All(report.LengthHistogram.Zip(report.LengthHistogram.Skip(1)), p => Assert.Equal(p.First.To + 1, p.Second.From));
        foreach (var bucket in report.LengthHistogram)
            Assert.Equal(built.Train.Count(e => e.InputIds.Length >= bucket.From && e.InputIds.Length <= bucket.To), bucket.Count);
    }

    [Fact]
    public void Report_SamplesShowTheFirstExamplesAsMaskedAndTrainedText()
    {
        var report = DatasetBuilder.Build(Rows(5), Tok512).Report;

        Assert.Equal(3, report.Samples.Count);
        var sample = report.Samples[1];
        Assert.Equal([false, true], sample.Select(s => s.Trainable));
        Assert.StartsWith("[BOS] Below is an instruction", sample[0].Text);
        Assert.EndsWith("### Instruction:\nCount to 2.\n\n### Response:\n", sample[0].Text);
        Assert.Equal("1 2[EOS]", sample[1].Text);
    }

    [Fact]
    public void Building2000Rows_OfAMegabyte_KeepsEveryRow()
    {
        var paragraph = string.Join(" ", Enumerable.Repeat("The little dog ran to the park and played with a red ball all day.", 7));
        var path = WriteRows("big.jsonl", [.. Enumerable.Range(0, 2000).Select(i => new { instruction = $"Tell story {i}.", output = paragraph })]);
        Assert.InRange(new FileInfo(path).Length, 1_000_000, 1_200_000);
        var options = new DatasetOptions { DatasetPath = path, FormatPath = Format("alpaca-format.json"), TrainOnlyAfter = "### Response:\n" };

        var built = DatasetBuilder.Build(options, Tok512);

        Assert.Equal(2000, built.Train.Count);
        Assert.All(built.Train, e => Assert.Contains(true, e.Targets));
    }
}
