using WebUI.Engine.Loading;

namespace WebUI.Engine.Training;

/// <summary>
/// Raw text as text-generation-webui's classic trainer cuts it: split at the hard-cut string, tokenize each
/// section (BOS first where the tokenizer adds one, EOS last when asked), and cut it into blocks of at most Cutoff
/// tokens that start every Cutoff - Overlap tokens. Unlike tgw, blocks are never decoded and re-tokenized, and
/// cutting stops at the block that reaches the section's end instead of adding tails wholly inside it.
/// </summary>
internal static class RawTextCutter
{
    /// <summary>Blocks shorter than this teach next to nothing (tgw's "ignore small blocks").</summary>
    public const int MinBlockTokens = 4;

    public static void Cut(string text, DatasetOptions options, ITextTokenizer tokenizer, ExampleCollector collector)
    {
        var sections = options.HardCut.Length == 0 ? [text] : text.Split(options.HardCut);
        int step = options.Cutoff - options.EffectiveOverlap;
        foreach (var section in sections.Where(s => s.Trim().Length > 0))
        {
            collector.CountRow();
            int row = collector.Rows;
            var encoded = tokenizer.Encode(section, addSpecialTokens: true);
            int[] ids = options.AddEos && tokenizer.EosIds.Count > 0 ? [.. encoded, tokenizer.EosIds[0]] : [.. encoded];
            if (ids.Length < MinBlockTokens)
            {
                collector.Drop(row, $"dropped: {ids.Length} tokens, fewer than {MinBlockTokens}");
                continue;
            }
            for (int start = 0; ; start += step)
            {
                int end = Math.Min(start + options.Cutoff, ids.Length);
                if (end - start >= MinBlockTokens) collector.AddBlock(row, ids.AsSpan(start, end - start));
                else collector.Warn(row, $"last block of {end - start} tokens left out, fewer than {MinBlockTokens}");
                if (end == ids.Length) break;
            }
        }
    }
}
