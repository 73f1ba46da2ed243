using WebUI.Engine.Loading;

namespace WebUI.Engine.Tests.Generation;

/// <summary>A tokenizer that is only a table of token bytes, enough to drive streaming decoding.</summary>
internal sealed class FakeByteTokenizer(IReadOnlyDictionary<int, byte[]> tokenBytes, params int[] specialIds) : ITextTokenizer
{
    public int VocabSize => tokenBytes.Count;
    public int? BosId => null;
    public IReadOnlyList<int> EosIds => specialIds;
    public bool AddsBos => false;
    public string? ChatTemplate => null;

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true) => throw new NotSupportedException();
    public string Decode(IEnumerable<int> ids) => throw new NotSupportedException();
    public ReadOnlySpan<byte> TokenBytes(int id) => IsSpecial(id) ? [] : tokenBytes[id];
    public bool IsSpecial(int id) => specialIds.Contains(id);
}
