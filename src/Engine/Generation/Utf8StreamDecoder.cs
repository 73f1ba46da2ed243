using System.Text;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Generation;

/// <summary>
/// Turns generated token ids into text as they arrive. Tokens carry bytes, not characters (byte-level BPE, or
/// SentencePiece byte fallback like &lt;0xE6&gt;), so a character may span several tokens; a stateful UTF-8 decoder
/// keeps the partial bytes until the character is complete instead of emitting U+FFFD.
/// </summary>
public sealed class Utf8StreamDecoder(ITextTokenizer tokenizer)
{
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private char[] _chars = new char[16];

    /// <summary>The characters completed by this token; empty while a character is still partial, and for special tokens.</summary>
    public string Push(int tokenId) => Decode(tokenizer.TokenBytes(tokenId), flush: false);

    /// <summary>Ends the stream: bytes of a character that never completed come out as U+FFFD.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        int needed = _decoder.GetCharCount(bytes, flush);
        if (needed > _chars.Length) _chars = new char[Math.Max(needed, _chars.Length * 2)];
        int written = _decoder.GetChars(bytes, _chars, flush);
        return new string(_chars, 0, written);
    }
}
