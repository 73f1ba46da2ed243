using System.Text;
using Microsoft.ML.Tokenizers;

namespace WebUI.Engine.Loading;

/// <summary>
/// A SentencePiece tokenizer.model (protobuf) run by Microsoft.ML.Tokenizers' SentencePieceTokenizer. The piece
/// table is also read here, since the library does not expose piece types: control, unknown and unused pieces are
/// special (no bytes), byte pieces give their one byte, others their text with "▁" as a space.
/// </summary>
public sealed class SentencePieceModelTokenizer : ITextTokenizer
{
    private enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

    private readonly SentencePieceTokenizer _tokenizer;
    private readonly byte[][] _tokenBytes;
    private readonly bool[] _special;
    private readonly SpecialTokenSettings _settings;

    private SentencePieceModelTokenizer(SentencePieceTokenizer tokenizer, IReadOnlyList<(string Piece, PieceType Type)> pieces, string folder)
    {
        _tokenizer = tokenizer;
        _special = pieces.Select(p => p.Type is PieceType.Control or PieceType.Unknown or PieceType.Unused).ToArray();
        _tokenBytes = pieces.Select((p, id) => _special[id] ? [] : p.Type == PieceType.Byte
            ? [Convert.ToByte(p.Piece[3..5], 16)]
            : Encoding.UTF8.GetBytes(p.Piece.Replace('▁', ' '))).ToArray();
        var ids = tokenizer.Vocabulary;
        int? Known(int id) => id >= 0 && id < pieces.Count ? id : null;
        _settings = SpecialTokenSettings.Read(folder, null, text => ids.TryGetValue(text, out var id) ? id : null,
            new SpecialTokenSettings(Known(tokenizer.BeginningOfSentenceId),
                Known(tokenizer.EndOfSentenceId) is int eos ? [eos] : [], true, null));
    }

    internal static SentencePieceModelTokenizer FromFile(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            var pieces = ReadPieces(bytes);
            var specials = pieces.Select((p, id) => (p, id)).Where(x => x.p.Type is PieceType.Control or PieceType.Unknown)
                .DistinctBy(x => x.p.Piece).ToDictionary(x => x.p.Piece, x => x.id);
            var tokenizer = SentencePieceTokenizer.Create(new MemoryStream(bytes), addBeginningOfSentence: true, addEndOfSentence: false, specials);
            return new SentencePieceModelTokenizer(tokenizer, pieces, Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or NotSupportedException or FormatException)
        {
            throw new InvalidModelException($"{path}: not a usable SentencePiece model ({e.Message})", e);
        }
    }

    public int VocabSize => _tokenBytes.Length;
    public int? BosId => _settings.BosId;
    public IReadOnlyList<int> EosIds => _settings.EosIds;
    public bool AddsBos => _settings.AddsBos;
    public string? ChatTemplate => _settings.ChatTemplate;

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true) =>
        _tokenizer.EncodeToIds(text, addBeginningOfSentence: addSpecialTokens && AddsBos, addEndOfSentence: false);

    public string Decode(IEnumerable<int> ids) =>
        _tokenizer.Decode(ids.Where(id => id >= 0 && id < VocabSize), considerSpecialTokens: false);

    /// <summary>Ids outside the vocab (padding rows of a larger embedding) contribute nothing.</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => id >= 0 && id < VocabSize ? _tokenBytes[id] : [];

    public bool IsSpecial(int id) => id >= 0 && id < VocabSize && _special[id];

    /// <summary>ModelProto field 1, the pieces: each a message of piece (1, string) and type (3, enum, default normal).</summary>
    private static List<(string Piece, PieceType Type)> ReadPieces(byte[] model)
    {
        var pieces = new List<(string, PieceType)>();
        foreach (var (field, value) in Fields(model))
        {
            if (field != 1) continue;
            string piece = "";
            var type = PieceType.Normal;
            foreach (var (inner, content) in Fields(value))
            {
                if (inner == 1) piece = Encoding.UTF8.GetString(content);
                else if (inner == 3) type = (PieceType)content[0];
            }
            if (type == PieceType.Byte && piece is not ['<', '0', 'x', _, _, '>'])
                throw new FormatException($"byte piece '{piece}' is not of the form <0xNN>");
            pieces.Add((piece, type));
        }
        return pieces.Count > 0 ? pieces : throw new FormatException("no pieces");
    }

    /// <summary>The fields of a protobuf message: length-delimited ones with their content, varints as their low byte.</summary>
    private static IEnumerable<(int Field, byte[] Value)> Fields(byte[] message)
    {
        int pos = 0;
        ulong Varint()
        {
            ulong value = 0;
            for (int shift = 0; ; shift += 7)
            {
                if (pos >= message.Length || shift > 63) throw new FormatException("truncated protobuf varint");
                byte b = message[pos++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
        }
        while (pos < message.Length)
        {
            var tag = Varint();
            int field = (int)(tag >> 3);
            byte[] value;
            switch (tag & 7)
            {
                case 0: value = [(byte)Varint()]; break;
                case 1: value = []; pos += 8; break;
                case 5: value = []; pos += 4; break;
                case 2:
                    var length = Varint();
                    if (length > (ulong)(message.Length - pos)) throw new FormatException("truncated protobuf field");
                    value = message[pos..(pos + (int)length)];
                    pos += (int)length;
                    break;
                default: throw new FormatException($"protobuf wire type {tag & 7} is not valid here");
            }
            if (pos > message.Length) throw new FormatException("truncated protobuf field");
            yield return (field, value);
        }
    }
}
