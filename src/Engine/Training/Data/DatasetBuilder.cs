using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Training;

/// <summary>
/// Reads a dataset file and turns it into tokenized training and evaluation examples with exact loss masks, with
/// text-generation-webui's semantics for raw text, formatted rows and conversations.
/// </summary>
public static class DatasetBuilder
{
    /// <summary>A read dataset file: its text (raw text) or its rows (formatted and chat).</summary>
    private sealed record DatasetSource(string Name, DatasetKind Kind, string Text, IReadOnlyList<DatasetRow> Rows);

    /// <summary>.txt is raw text; .json/.jsonl rows with "messages" or "conversations" are chat, other rows formatted.</summary>
    public static DatasetKind Detect(string path) => Open(path).Kind;

    public static BuiltDataset Build(DatasetOptions options, ITextTokenizer tokenizer)
    {
        options.Validate();
        var source = Open(options.DatasetPath);
        IRowEncoder? encoder = source.Kind switch
        {
            DatasetKind.Formatted => FormattedEncoder(options, tokenizer, source.Name),
            DatasetKind.Chat => new ChatRowEncoder(options.ChatTemplate ?? ChatTemplate.PlainText, options, tokenizer),
            _ => null,
        };
        var collected = Collect(source, encoder, options, tokenizer);
        IReadOnlyList<TrainingExample> train = collected.Examples, eval = [];
        var problems = new List<DatasetProblem>(collected.Problems);
        if (options.EvalDatasetPath is string evalPath)
        {
            var evalSource = Open(evalPath);
            if (evalSource.Kind != source.Kind)
                throw new DatasetException($"{evalSource.Name} is a {evalSource.Kind} dataset but {source.Name} is {source.Kind}; they must be the same kind");
            var evalCollected = Collect(evalSource, encoder, options, tokenizer);
            eval = evalCollected.Examples;
            problems.AddRange(evalCollected.Problems.Select(p => p with { Message = $"eval file {evalSource.Name}: {p.Message}" }));
        }
        else if (options.EvalFraction > 0) (train, eval) = HoldOut(collected, options, source.Name);
        if (train.Count == 0)
            throw new DatasetException($"{source.Name}: no training examples ({collected.DroppedRows} of {collected.Rows} rows dropped; see the first: " +
                $"{collected.Problems.FirstOrDefault()?.Message ?? "none"})");
        return new BuiltDataset(source.Kind, train, eval,
            DatasetReportWriter.Write(source.Kind, collected, train, eval, problems, options.Cutoff, tokenizer));
    }

    private static DatasetSource Open(string path)
    {
        var name = Path.GetFileName(path);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".txt") return new DatasetSource(name, DatasetKind.RawText, DatasetFile.ReadText(path), []);
        if (extension is not (".json" or ".jsonl"))
            throw new DatasetException($"{name}: unsupported dataset file type \"{extension}\" (use .txt, .json or .jsonl)");
        var rows = DatasetFile.ReadRows(path);
        var kind = ChatRowEncoder.IsConversation(rows[0].Value) ? DatasetKind.Chat : DatasetKind.Formatted;
        return new DatasetSource(name, kind, "", rows);
    }

    private static FormattedRowEncoder FormattedEncoder(DatasetOptions options, ITextTokenizer tokenizer, string datasetName) =>
        options.FormatPath is string formatPath
            ? new FormattedRowEncoder(FormatFile.Load(formatPath), options, tokenizer)
            : throw new DatasetException($"{datasetName} holds formatted rows (no \"messages\" or \"conversations\"), which need a format file: pick one under Format");

    private static ExampleCollector Collect(DatasetSource source, IRowEncoder? encoder, DatasetOptions options, ITextTokenizer tokenizer)
    {
        var collector = new ExampleCollector(options.Cutoff);
        if (encoder is null) RawTextCutter.Cut(source.Text, options, tokenizer, collector);
        else
            foreach (var row in source.Rows)
            {
                collector.CountRow();
                encoder.Add(row, collector);
            }
        return collector;
    }

    /// <summary>
    /// Holds out a seeded-random EvalFraction of the rows (at least one), whole rows at a time so no text is in both
    /// splits; examples keep their file order.
    /// </summary>
    private static (List<TrainingExample> Train, List<TrainingExample> Eval) HoldOut(ExampleCollector collected, DatasetOptions options, string name)
    {
        int rows = collected.Rows, evalRows = Math.Max(1, (int)Math.Round(rows * options.EvalFraction));
        if (evalRows >= rows)
            throw new DatasetException($"{name}: holding out EvalFraction {options.EvalFraction} of {rows} row(s) leaves none to train on " +
                "(raw text is split into rows at the hard cut; or give an eval file)");
        var order = Enumerable.Range(1, rows).ToArray();
        new Random(options.Seed).Shuffle(order);
        var held = order.Take(evalRows).ToHashSet();
        return (collected.Examples.Where(e => !held.Contains(e.SourceRow)).ToList(), collected.Examples.Where(e => held.Contains(e.SourceRow)).ToList());
    }
}
