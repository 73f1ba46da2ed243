using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;

namespace WebUI.Engine.Loading;

/// <summary>One tensor of a GGUF file: its shape in torch order (GGUF lists the innermost dimension first).</summary>
public sealed record GgufTensorInfo(string Name, GgmlType Type, long[] Shape, long Offset, long ByteCount)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// A memory-mapped GGUF file (version 2 or 3, https://github.com/ggml-org/ggml/blob/master/docs/gguf.md): the header,
/// metadata key/values, tensor infos, then the tensor data at general.alignment. Everything is validated on open
/// (magic, version, lengths, types, offsets), so <see cref="Read"/> never touches bytes outside the file, and every
/// error names the file and the key or tensor.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    private const uint Magic = 0x46554747; // "GGUF"
    private const int MaxDims = 4;

    private readonly MappedFile _file;
    private readonly byte* _start;
    private readonly long _length;
    private long _dataStart;
    private bool _disposed;

    public string Path { get; }
    public uint Version { get; private set; }
    public IReadOnlyDictionary<string, object> Metadata { get; private set; } = new Dictionary<string, object>();
    /// <summary>The tensors in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> TensorList { get; private set; } = [];
    public IReadOnlyDictionary<string, GgufTensorInfo> Tensors { get; private set; } = new Dictionary<string, GgufTensorInfo>();

    private GgufFile(string path, MappedFile file)
    {
        Path = path;
        _file = file;
        _start = file.Start;
        _length = file.Length;
    }

    public static GgufFile Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new InvalidModelException($"{full}: no such GGUF file");
        var stream = MappedFile.OpenShared(full);
        if (stream.Length < 24)
        {
            stream.Dispose();
            throw new InvalidModelException($"{full}: truncated GGUF file ({stream.Length} bytes, shorter than its 24-byte header)");
        }
        var file = new GgufFile(full, new MappedFile(stream));
        try
        {
            file.Parse();
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The tensor dequantized to float32, in torch shape; owned by the caller.</summary>
    public torch.Tensor Read(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Tensors.TryGetValue(name, out var info)) throw new InvalidModelException($"{Path}: no tensor '{name}'");
        var tensor = torch.empty(info.Shape, torch.ScalarType.Float32);
        var (values, bytes) = GgmlTypes.Block(info.Type);
        byte* source = _start + _dataStart + info.Offset;
        TensorBytes.ForEachChunk(tensor, (chunk, offset) =>
        {
            long first = offset / sizeof(float);
            var floats = MemoryMarshal.Cast<byte, float>(chunk);
            GgmlBlocks.Dequantize(info.Type, new ReadOnlySpan<byte>(source + first / values * bytes, checked((int)(floats.Length / values * bytes))), floats);
        });
        _file.DoneWith(_dataStart + info.Offset, info.ByteCount);
        return tensor;
    }

    /// <summary>A tensor's stored bytes as they are (e.g. Q8_0 blocks to keep quantized); valid until disposed.</summary>
    public ReadOnlySpan<byte> RawBytes(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Tensors.TryGetValue(name, out var info)) throw new InvalidModelException($"{Path}: no tensor '{name}'");
        return new ReadOnlySpan<byte>(_start + _dataStart + info.Offset, checked((int)info.ByteCount));
    }

    public string? String(string key) => Get<string>(key);
    public bool? Bool(string key) => Get<bool>(key);
    public T[]? Array<T>(string key) => Get<T[]>(key);

    /// <summary>An integer value of any stored integer type.</summary>
    public long? Integer(string key) => Metadata.TryGetValue(key, out var v) ? v switch
    {
        byte or sbyte or ushort or short or uint or int or long => Convert.ToInt64(v),
        ulong u when u <= long.MaxValue => (long)u,
        _ => throw WrongType(key, v, "an integer"),
    } : null;

    /// <summary>A float value (float32 or float64, or an integer).</summary>
    public double? Number(string key) => Metadata.TryGetValue(key, out var v) ? v switch
    {
        float f => f,
        double d => d,
        _ => Integer(key),
    } : null;

    private T? Get<T>(string key) => Metadata.TryGetValue(key, out var v) ? v is T t ? t : throw WrongType(key, v, typeof(T).Name) : default;

    private InvalidModelException WrongType(string key, object value, string expected) =>
        new($"{Path}: metadata '{key}' is a {value.GetType().Name}, expected {expected}");

    private void Parse()
    {
        long pos = 0;
        if (U32(ref pos) != Magic) throw new InvalidModelException($"{Path}: not a GGUF file (wrong magic number)");
        Version = U32(ref pos);
        if (Version is not (2 or 3)) throw new InvalidModelException($"{Path}: GGUF version {Version} is not supported (supported: 2, 3)");
        long tensorCount = Count(ref pos, "tensor count"), kvCount = Count(ref pos, "metadata count");

        var metadata = new Dictionary<string, object>();
        for (long i = 0; i < kvCount; i++)
        {
            var key = Str(ref pos);
            metadata[key] = Value(ref pos, U32(ref pos), key);
        }
        Metadata = metadata;

        var tensors = new List<GgufTensorInfo>();
        for (long i = 0; i < tensorCount; i++)
        {
            var name = Str(ref pos);
            var dims = U32(ref pos);
            if (dims is 0 or > MaxDims) throw new InvalidModelException($"{Path}: tensor '{name}' has {dims} dimensions (1 to {MaxDims} allowed)");
            var shape = new long[dims];
            for (int d = 0; d < dims; d++)
            {
                var size = U64(ref pos);
                if (size is 0 or > int.MaxValue) throw new InvalidModelException($"{Path}: tensor '{name}' has dimension {size}");
                shape[dims - 1 - d] = (long)size;
            }
            var typeNumber = U32(ref pos);
            var type = (GgmlType)typeNumber;
            if (!Enum.IsDefined(type)) throw new InvalidModelException($"{Path}: tensor '{name}' has unknown tensor type {typeNumber}");
            if (!GgmlTypes.Readable.Contains(type))
                throw new InvalidModelException($"{Path}: tensor '{name}' has type {type}, which WebUI does not read (reads {string.Join(", ", GgmlTypes.Readable)})");
            var offset = U64(ref pos);
            long count = shape.Aggregate(1L, (a, b) => checked(a * b));
            if (count % GgmlTypes.Block(type).Values != 0)
                throw new InvalidModelException($"{Path}: tensor '{name}' has {count} values, not whole {type} blocks");
            tensors.Add(new GgufTensorInfo(name, type, shape, offset > long.MaxValue ? -1 : (long)offset, GgmlTypes.ByteCount(type, count)));
        }

        long alignment = Integer("general.alignment") ?? 32;
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) throw new InvalidModelException($"{Path}: general.alignment {alignment} is not a power of two");
        _dataStart = (pos + alignment - 1) / alignment * alignment;
        foreach (var t in tensors)
            if (t.Offset < 0 || t.Offset % alignment != 0 || _dataStart + t.Offset + t.ByteCount > _length)
                throw new InvalidModelException($"{Path}: tensor '{t.Name}' lies outside the file (offset {t.Offset}, {t.ByteCount} bytes, data ends at {_length - _dataStart})");
        TensorList = tensors;
        Tensors = tensors.GroupBy(t => t.Name).Select(g => g.Count() == 1 ? g.Single() : throw new InvalidModelException($"{Path}: tensor '{g.Key}' appears twice"))
            .ToDictionary(t => t.Name);
    }

    private object Value(ref long pos, uint type, string key) => type switch
    {
        0 => Need(ref pos, 1, key)[0],
        1 => (sbyte)Need(ref pos, 1, key)[0],
        2 => MemoryMarshal.Read<ushort>(Need(ref pos, 2, key)),
        3 => MemoryMarshal.Read<short>(Need(ref pos, 2, key)),
        4 => MemoryMarshal.Read<uint>(Need(ref pos, 4, key)),
        5 => MemoryMarshal.Read<int>(Need(ref pos, 4, key)),
        6 => MemoryMarshal.Read<float>(Need(ref pos, 4, key)),
        7 => Need(ref pos, 1, key)[0] != 0,
        8 => Str(ref pos),
        9 => ArrayValue(ref pos, key),
        10 => MemoryMarshal.Read<ulong>(Need(ref pos, 8, key)),
        11 => MemoryMarshal.Read<long>(Need(ref pos, 8, key)),
        12 => MemoryMarshal.Read<double>(Need(ref pos, 8, key)),
        _ => throw new InvalidModelException($"{Path}: metadata '{key}' has unknown value type {type}"),
    };

    private object ArrayValue(ref long pos, string key)
    {
        var type = U32(ref pos);
        long count = Count(ref pos, $"length of '{key}'");
        int size = type switch { 0 or 1 or 7 => 1, 2 or 3 => 2, 4 or 5 or 6 => 4, 10 or 11 or 12 => 8, _ => 0 };
        if (size > 0)
        {
            var bytes = Need(ref pos, checked(count * size), key);
            return type switch
            {
                0 => bytes.ToArray(),
                1 => MemoryMarshal.Cast<byte, sbyte>(bytes).ToArray(),
                2 => MemoryMarshal.Cast<byte, ushort>(bytes).ToArray(),
                3 => MemoryMarshal.Cast<byte, short>(bytes).ToArray(),
                4 => MemoryMarshal.Cast<byte, uint>(bytes).ToArray(),
                5 => MemoryMarshal.Cast<byte, int>(bytes).ToArray(),
                6 => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
                7 => bytes.ToArray().Select(b => b != 0).ToArray(),
                10 => MemoryMarshal.Cast<byte, ulong>(bytes).ToArray(),
                11 => MemoryMarshal.Cast<byte, long>(bytes).ToArray(),
                _ => MemoryMarshal.Cast<byte, double>(bytes).ToArray(),
            };
        }
        if (type == 8)
        {
            var strings = new string[count];
            for (long i = 0; i < count; i++) strings[i] = Str(ref pos);
            return strings;
        }
        var items = new object[count];
        for (long i = 0; i < count; i++) items[i] = Value(ref pos, type, key);
        return items;
    }

    private ReadOnlySpan<byte> Need(ref long pos, long bytes, string what)
    {
        if (bytes < 0 || pos + bytes > _length) throw new InvalidModelException($"{Path}: truncated GGUF file (ends inside '{what}')");
        var span = new ReadOnlySpan<byte>(_start + pos, checked((int)bytes));
        pos += bytes;
        return span;
    }

    private uint U32(ref long pos) => MemoryMarshal.Read<uint>(Need(ref pos, 4, "header"));
    private ulong U64(ref long pos) => MemoryMarshal.Read<ulong>(Need(ref pos, 8, "header"));

    /// <summary>A count, which cannot exceed the bytes left (every item takes at least one).</summary>
    private long Count(ref long pos, string what)
    {
        var count = U64(ref pos);
        return count <= (ulong)(_length - pos) ? (long)count : throw new InvalidModelException($"{Path}: truncated GGUF file ({what} {count} exceeds the file)");
    }

    private string Str(ref long pos)
    {
        long length = Count(ref pos, "string length");
        return Encoding.UTF8.GetString(Need(ref pos, length, "string"));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _file.Dispose();
    }
}
