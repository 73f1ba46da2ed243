using System.Text;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Training;

/// <summary>
/// Tokenizes a text given as (text, trainable) segments one segment at a time, so every token belongs to exactly
/// one segment and the trainable mask has exact boundaries. The first segment is encoded as a prompt would be at
/// inference. Later segments are continuations: SentencePiece-style tokenizers put a dummy-prefix space before
/// every text they encode, which would insert a space the model never sees at inference, so a continuation is
/// encoded after an anchor ("\n") whose tokens are then removed.
/// </summary>
internal sealed class SegmentTokenizer
{
    private const string Anchor = "\n";

    private readonly ITextTokenizer _tokenizer;
    private readonly int[] _anchorIds;
    private readonly bool _addsDummyPrefix;

    public SegmentTokenizer(ITextTokenizer tokenizer)
    {
        _tokenizer = tokenizer;
        _anchorIds = [.. tokenizer.Encode(Anchor, addSpecialTokens: false)];
        _addsDummyPrefix = TextOf(tokenizer.Encode("a", addSpecialTokens: false)) != "a";
    }

    /// <summary>BOS first (where the tokenizer adds one and the text does not start with it), then each segment's tokens.</summary>
    public (List<int> Ids, List<bool> Trainable) Encode(IEnumerable<TemplateSegment> segments)
    {
        var ids = new List<int>();
        var trainable = new List<bool>();
        foreach (var segment in Merged(segments))
        {
            var segmentIds = ids.Count == 0 ? _tokenizer.Encode(segment.Text, addSpecialTokens: false) : Continuation(segment.Text);
            if (ids.Count == 0 && _tokenizer.AddsBos && _tokenizer.BosId is int bos && (segmentIds.Count == 0 || segmentIds[0] != bos))
            {
                ids.Add(bos);
                trainable.Add(false);
            }
            ids.AddRange(segmentIds);
            trainable.AddRange(Enumerable.Repeat(segment.Trainable, segmentIds.Count));
        }
        return (ids, trainable);
    }

    private IReadOnlyList<int> Continuation(string text)
    {
        if (!_addsDummyPrefix || text.Length == 0) return _tokenizer.Encode(text, addSpecialTokens: false);
        var ids = _tokenizer.Encode(Anchor + text, addSpecialTokens: false);
        // Where the anchor merged into the text's first token there is no clean cut; the plain encoding is the next best.
        return ids.Count >= _anchorIds.Length && ids.Take(_anchorIds.Length).SequenceEqual(_anchorIds)
            ? ids.Skip(_anchorIds.Length).ToArray()
            : _tokenizer.Encode(text, addSpecialTokens: false);
    }

    /// <summary>Adjacent segments with the same trainability, joined, so cuts fall only where the mask changes.</summary>
    private static IEnumerable<TemplateSegment> Merged(IEnumerable<TemplateSegment> segments)
    {
        TemplateSegment? pending = null;
        foreach (var segment in segments.Where(s => s.Text.Length > 0))
        {
            if (pending is null) pending = segment;
            else if (pending.Trainable == segment.Trainable) pending = pending with { Text = pending.Text + segment.Text };
            else { yield return pending; pending = segment; }
        }
        if (pending is not null) yield return pending;
    }

    private string TextOf(IEnumerable<int> ids) => Encoding.UTF8.GetString(ids.SelectMany(id => _tokenizer.TokenBytes(id).ToArray()).ToArray());
}
