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
        if (SplitAtMarker(format.Render(row), _marker) is not var (prompt, response))
        {
            collector.Drop(row.Number, $"dropped: the rendered text has no \"{_marker}\" (TrainOnlyAfter)");
            return;
        }
        TemplateSegment[] segments = prompt.Length == 0 ? [new(response, true)] : [new(prompt, false), new(response, true)];
        var (ids, trainable) = _segments.Encode(segments);
        if (options.AddEos && tokenizer.EosIds.Count > 0 && (ids.Count == 0 || !tokenizer.EosIds.Contains(ids[^1])))
        {
            ids.Add(tokenizer.EosIds[0]);
            trainable.Add(true);
        }
        collector.AddRow(row.Number, ids, trainable);
    }

    /// <summary>
    /// A rendered row as the part not trained on (up to and including <paramref name="marker"/>) and the part trained on;
    /// without a marker all of it is trained on. Null when the text lacks the marker.
    /// </summary>
    public static (string Prompt, string Response)? SplitAtMarker(string text, string? marker)
    {
        if (string.IsNullOrEmpty(marker)) return ("", text);
        int at = text.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? null : (text[..(at + marker.Length)], text[(at + marker.Length)..]);
    }
}
