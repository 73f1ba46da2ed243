using System.Text;
using WebUI.Engine.Generation;

namespace WebUI.Engine.Tests.Generation;

public sealed class Utf8StreamDecoderTests
{
    [Fact]
    public void Character_split_over_three_tokens_comes_out_whole_when_its_last_byte_arrives()
    {
        // "東" is E6 9D B1, as SentencePiece byte-fallback tokens <0xE6><0x9D><0xB1>.
        var decoder = new Utf8StreamDecoder(Tokenizer(("a", [(byte)'a']), ("E6", [0xE6]), ("9D", [0x9D]), ("B1", [0xB1])));

        string[] pieces = [decoder.Push(0), decoder.Push(1), decoder.Push(2), decoder.Push(3), decoder.Flush()];

        Assert.Equal(["a", "", "", "東", ""], pieces);
    }

    [Fact]
    public void Four_byte_emoji_split_over_four_tokens_decodes_exactly()
    {
        byte[] emoji = Encoding.UTF8.GetBytes("🦙");
        var decoder = new Utf8StreamDecoder(Tokenizer(
            ("x", [(byte)'x']), ("b0", [emoji[0]]), ("b1", [emoji[1]]), ("b2", [emoji[2]]), ("b3", [emoji[3]]), ("y", [(byte)'y'])));

        string text = string.Concat(Enumerable.Range(0, 6).Select(decoder.Push)) + decoder.Flush();

        Assert.Equal("x🦙y", text);
        Assert.DoesNotContain('\uFFFD', text);
    }

    [Fact]
    public void Special_tokens_contribute_no_text()
    {
        var tokenizer = new FakeByteTokenizer(
            new Dictionary<int, byte[]> { [0] = "Hi"u8.ToArray(), [1] = "</s>"u8.ToArray() }, specialIds: 1);
        var decoder = new Utf8StreamDecoder(tokenizer);

        Assert.Equal("Hi", decoder.Push(0) + decoder.Push(1) + decoder.Flush());
    }

    [Fact]
    public void Flush_turns_an_unfinished_character_into_a_replacement_character()
    {
        var decoder = new Utf8StreamDecoder(Tokenizer(("E6", [0xE6])));

        Assert.Equal("", decoder.Push(0));
        Assert.Equal("\uFFFD", decoder.Flush());
    }

    private static FakeByteTokenizer Tokenizer(params (string Name, byte[] Bytes)[] tokens) =>
        new(tokens.Select((token, id) => (id, token.Bytes)).ToDictionary(t => t.id, t => t.Bytes));
}
