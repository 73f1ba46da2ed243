namespace WebUI.Engine.Loading;

/// <summary>
/// A tokenizer as the engine needs it: ids in and out, the raw bytes of each token (for streaming UTF-8
/// decoding), and the special ids that generation and training care about.
/// </summary>
public interface ITextTokenizer
{
    int VocabSize { get; }
    int? BosId { get; }
    /// <summary>Ids that end generation (EOS plus e.g. &lt;|im_end|&gt; from generation_config.json).</summary>
    IReadOnlyList<int> EosIds { get; }
    /// <summary>Whether <see cref="Encode"/> with addSpecialTokens puts BOS first (tokenizer_config add_bos_token / post-processor).</summary>
    bool AddsBos { get; }
    /// <summary>Jinja chat template from tokenizer_config.json, or null.</summary>
    string? ChatTemplate { get; }

    IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true);
    /// <summary>Text of the ids, special/control tokens skipped.</summary>
    string Decode(IEnumerable<int> ids);
    /// <summary>The bytes this token contributes to decoded text; empty for special and control tokens.</summary>
    ReadOnlySpan<byte> TokenBytes(int id);
    /// <summary>Whether this id is a special/control token (BOS, EOS, added special tokens).</summary>
    bool IsSpecial(int id);
}
