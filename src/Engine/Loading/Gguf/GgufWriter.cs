using System.Runtime.InteropServices;
using System.Text;
using static TorchSharp.torch;

namespace WebUI.Engine.Loading;

/// <summary>
/// Builds a GGUF version 3 file: metadata in the order added, typed by their CLR type as llama.cpp reads them
/// (uint → UINT32, float → FLOAT32, string[] → ARRAY of STRING, ...), then the tensors, each encoded as it is written.
/// </summary>
public sealed class GgufWriter
{
    public const int Alignment = 32;

    private readonly List<(string Key, object Value)> _metadata = [];
    private readonly List<(string Name, GgmlType Type, Tensor Values)> _tensors = [];

    public GgufWriter Set(string key, object value)
    {
        _metadata.RemoveAll(m => m.Key == key);
        _metadata.Add((key, value));
        return this;
    }

    /// <summary>Adds a tensor (float32, engine layout [out, in]) to be encoded as <paramref name="type"/>; the caller keeps it alive until written.</summary>
    public void AddTensor(string name, GgmlType type, Tensor values) => _tensors.Add((name, type, values));

    public void WriteTo(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(0x46554747u);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)(_metadata.Count + 1));
        WriteString(w, "general.alignment");
        WriteValue(w, (uint)Alignment);
        foreach (var (key, value) in _metadata)
        {
            WriteString(w, key);
            WriteValue(w, value);
        }
        long offset = 0;
        var sizes = new List<long>();
        foreach (var (name, type, values) in _tensors)
        {
            WriteString(w, name);
            w.Write((uint)values.dim());
            foreach (var size in values.shape.Reverse()) w.Write((ulong)size);
            w.Write((uint)type);
            w.Write((ulong)offset);
            var bytes = GgmlTypes.ByteCount(type, values.numel());
            sizes.Add(bytes);
            offset = Align(offset + bytes);
        }
        Pad(w);
        for (int i = 0; i < _tensors.Count; i++)
        {
            var (_, type, values) = _tensors[i];
            using var contiguous = values.to(ScalarType.Float32).contiguous().cpu();
            var buffer = new byte[sizes[i]];
            GgmlBlocks.Quantize(type, MemoryMarshal.Cast<byte, float>(contiguous.bytes), buffer);
            w.Write(buffer);
            Pad(w);
        }
    }

    private static long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w)
    {
        w.Flush();
        var position = w.BaseStream.Position;
        for (long i = position; i < Align(position); i++) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, object value)
    {
        w.Write(TypeOf(value));
        switch (value)
        {
            case uint u: w.Write(u); break;
            case int i: w.Write(i); break;
            case float f: w.Write(f); break;
            case bool b: w.Write(b); break;
            case string s: WriteString(w, s); break;
            case ulong u: w.Write(u); break;
            case string[] strings:
                w.Write(8u);
                w.Write((ulong)strings.Length);
                foreach (var s in strings) WriteString(w, s);
                break;
            case float[] floats:
                w.Write(6u);
                w.Write((ulong)floats.Length);
                w.Write(MemoryMarshal.AsBytes(floats.AsSpan()));
                break;
            case int[] ints:
                w.Write(5u);
                w.Write((ulong)ints.Length);
                w.Write(MemoryMarshal.AsBytes(ints.AsSpan()));
                break;
            default: throw new ArgumentException($"GGUF metadata cannot hold a {value.GetType().Name}");
        }
    }

    private static uint TypeOf(object value) => value switch
    {
        uint => 4, int => 5, float => 6, bool => 7, string => 8, ulong => 10,
        string[] or float[] or int[] => 9,
        _ => throw new ArgumentException($"GGUF metadata cannot hold a {value.GetType().Name}"),
    };
}
