using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Training;

/// <summary>
/// A formatted row: rendered by the format file, then, with a Train-Only-After marker, tokenized as the text up to
/// and including the marker (not trained on) and the rest (trained on), so the mask boundary is exactly the
/// marker's end. This is what text-generation-webui's classic trainer meant to do; its collator rebuilt the labels
/// and trained on the prompt anyway.
/// </summary>
internal sealed class FormattedRowEncoder(FormatFile format, DatasetOptions options, ITextTokenizer tokenizer) : IRowEncoder
{
    private readonly SegmentTokenizer _segments = new(tokenizer);
    private readonly string? _marker = string.IsNullOrEmpty(options.TrainOnlyAfter) ? null : options.TrainOnlyAfter;

    public void Add(DatasetRow row, ExampleCollector collector)
    {
        var text = format.Render(row);
        TemplateSegment[] segments = [new(text, true)];
        if (_marker is not null)
        {
            int at = text.IndexOf(_marker, StringComparison.Ordinal);
            if (at < 0)
            {
                collector.Drop(row.Number, $"dropped: the rendered text has no \"{_marker}\" (TrainOnlyAfter)");
                return;
            }
            int split = at + _marker.Length;
            segments = [new(text[..split], false), new(text[split..], true)];
        }
        var (ids, trainable) = _segments.Encode(segments);
        if (options.AddEos && tokenizer.EosIds.Count > 0 && (ids.Count == 0 || !tokenizer.EosIds.Contains(ids[^1])))
        {
            ids.Add(tokenizer.EosIds[0]);
            trainable.Add(true);
        }
        collector.AddRow(row.Number, ids, trainable);
    }
}
