using System.Runtime.Intrinsics;
using System.Text.Json;
using TorchSharp;

namespace WebUI.Engine.Loading;

/// <summary>Element types of the safetensors format; the names are the spec's "dtype" strings.</summary>
public enum SafeTensorDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL }

/// <summary>One header entry. Begin and End are byte offsets relative to the start of the data section.</summary>
public sealed record SafeTensorInfo(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End);

/// <summary>
/// A memory-mapped .safetensors file (https://github.com/huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of JSON, then the raw tensor data. The header is fully validated on open, so
/// <see cref="Read"/> never touches bytes outside the file.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    /// <summary>The reference implementation's limit; a larger header is treated as corruption.</summary>
    private const ulong MaxHeaderBytes = 100_000_000;
    private const string MetadataKey = "__metadata__";

    private readonly MappedFile _file;
    private readonly byte* _fileStart;
    private long _dataStart;
    private bool _disposed;

    public string Path { get; }
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; private set; } = new Dictionary<string, SafeTensorInfo>();
    public IReadOnlyDictionary<string, string> Metadata { get; private set; } = new Dictionary<string, string>();

    private SafeTensorsFile(string path, MappedFile file)
    {
        Path = path;
        _file = file;
        _fileStart = file.Start;
    }

    public static SafeTensorsFile Open(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        FileStream stream;
        try
        {
            stream = MappedFile.OpenShared(fullPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InvalidModelException($"Safetensors file '{fullPath}' does not exist.", e);
        }

        long length = stream.Length;
        if (length < sizeof(ulong))
        {
            stream.Dispose();
            throw Invalid(fullPath, $"is {length} bytes long, shorter than its 8-byte header length field");
        }

        var file = new SafeTensorsFile(fullPath, new MappedFile(stream));
        try
        {
            file.ParseHeader(length);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => Tensors.ContainsKey(name);

    /// <summary>A new tensor (owned by the caller) holding a copy of the stored bytes, converted to dtype and moved to device if given.</summary>
    public torch.Tensor Read(string name, torch.ScalarType? dtype = null, torch.Device? device = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Tensors.TryGetValue(name, out var info))
            throw new InvalidModelException($"Safetensors file '{Path}' has no tensor '{name}'.");

        byte* source = _fileStart + _dataStart + info.Begin;
        bool move = device is not null && device.type != DeviceType.CPU;
        torch.Tensor tensor;
        if (info.DType == SafeTensorDType.BF16 && dtype == torch.ScalarType.Float32 && !move)
        {
            // The common CPU case (bf16 checkpoint, f32 compute) converts straight out of the map: no bf16 copy in between.
            tensor = torch.empty(info.Shape, torch.ScalarType.Float32);
            TensorBytes.ForEachChunk(tensor, (chunk, offset) => WidenBf16ToFloat32((ushort*)(source + offset / 2), chunk));
        }
        else
        {
            tensor = torch.empty(info.Shape, SafeTensorDTypes.ToScalarType(info.DType));
            TensorBytes.ForEachChunk(tensor, (chunk, offset) => new ReadOnlySpan<byte>(source + offset, chunk.Length).CopyTo(chunk));
        }
        _file.DoneWith(_dataStart + info.Begin, info.End - info.Begin);

        // Moving first sends the (usually smaller) stored dtype and converts on the device; each step frees its input.
        if (move)
            tensor = tensor.to(device!, disposeAfter: true);
        if (dtype is { } target && target != tensor.dtype)
            tensor = tensor.to(target, disposeAfter: true);
        return tensor;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _file.Dispose();
    }

    /// <summary>A bf16 value is the upper half of the f32 with the same value, so widening is exact: a 16-bit shift.</summary>
    private static void WidenBf16ToFloat32(ushort* source, Span<byte> destination)
    {
        int count = destination.Length / sizeof(float);
        fixed (byte* destinationBytes = destination)
        {
            var target = (uint*)destinationBytes;
            int i = 0;
            for (; i <= count - Vector128<ushort>.Count; i += Vector128<ushort>.Count)
            {
                var (lower, upper) = Vector128.Widen(Vector128.Load(source + i));
                Vector128.Store(lower << 16, target + i);
                Vector128.Store(upper << 16, target + i + Vector128<uint>.Count);
            }
            for (; i < count; i++)
                target[i] = (uint)source[i] << 16;
        }
    }

    private void ParseHeader(long fileLength)
    {
        ulong headerLength = BitConverter.IsLittleEndian
            ? *(ulong*)_fileStart
            : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(*(ulong*)_fileStart);
        if (headerLength == 0)
            throw Invalid(Path, "declares an empty (0-byte) header");
        if (headerLength > MaxHeaderBytes)
            throw Invalid(Path, $"declares a {headerLength}-byte header, more than the {MaxHeaderBytes}-byte limit");
        if (headerLength > (ulong)(fileLength - sizeof(ulong)))
            throw Invalid(Path, $"declares a {headerLength}-byte header but the file is only {fileLength} bytes long");

        _dataStart = sizeof(ulong) + (long)headerLength;
        long dataLength = fileLength - _dataStart;
        var headerBytes = new ReadOnlySpan<byte>(_fileStart + sizeof(ulong), (int)headerLength).ToArray();

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException e)
        {
            throw new InvalidModelException($"Invalid safetensors file '{Path}': the header is not well-formed JSON ({e.Message}).", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Invalid(Path, $"has a JSON {document.RootElement.ValueKind} header where an object is required");

            var tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                    ReadMetadata(property.Value, metadata);
                else if (!tensors.TryAdd(property.Name, ParseTensor(property.Name, property.Value, dataLength)))
                    throw Invalid(Path, $"lists tensor '{property.Name}' twice");
            }
            RejectOverlaps(tensors.Values);
            Tensors = tensors;
            Metadata = metadata;
        }
    }

    private void ReadMetadata(JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind == JsonValueKind.Null)
            return;
        if (element.ValueKind != JsonValueKind.Object)
            throw Invalid(Path, $"has a {MetadataKey} that is not an object of strings");
        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw Invalid(Path, $"has {MetadataKey} entry '{entry.Name}' that is not a string");
            metadata[entry.Name] = entry.Value.GetString()!;
        }
    }

    private SafeTensorInfo ParseTensor(string name, JsonElement entry, long dataLength)
    {
        InvalidModelException Bad(string problem) => Invalid(Path, $"tensor '{name}' {problem}");

        if (entry.ValueKind != JsonValueKind.Object)
            throw Bad("is not a JSON object");

        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad("has no dtype string");
        var dtypeName = dtypeElement.GetString()!;
        if (!SafeTensorDTypes.TryParse(dtypeName, out var dtype))
            throw Bad($"has unsupported dtype '{dtypeName}'");

        if (!entry.TryGetProperty("shape", out var shapeElement) || !TryReadIntegers(shapeElement, out var shape))
            throw Bad("has no shape array of integers");
        if (shape.Any(d => d < 0))
            throw Bad($"has a negative dimension in shape [{string.Join(", ", shape)}]");

        if (!entry.TryGetProperty("data_offsets", out var offsetsElement) || !TryReadIntegers(offsetsElement, out var offsets)
            || offsets.Length != 2 || offsets[0] < 0 || offsets[1] < 0)
            throw Bad("has no data_offsets pair of non-negative integers");
        long begin = offsets[0], end = offsets[1];
        if (begin > end)
            throw Bad($"has data_offsets begin {begin} greater than end {end}");

        long byteCount;
        try
        {
            byteCount = shape.Aggregate((long)SafeTensorDTypes.ByteSize(dtype), (product, d) => checked(product * d));
        }
        catch (OverflowException)
        {
            throw Bad($"has shape [{string.Join(", ", shape)}] too large to address");
        }
        if (byteCount != end - begin)
            throw Bad($"of dtype {dtype} and shape [{string.Join(", ", shape)}] needs {byteCount} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        if (end > dataLength)
            throw Bad($"has data_offsets [{begin}, {end}] past the end of the file (the data section is {dataLength} bytes)");

        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private void RejectOverlaps(IEnumerable<SafeTensorInfo> tensors)
    {
        // Empty spans hold no bytes, so they cannot overlap anything.
        SafeTensorInfo? previous = null;
        foreach (var info in tensors.Where(t => t.End > t.Begin).OrderBy(t => t.Begin))
        {
            if (previous is not null && info.Begin < previous.End)
                throw Invalid(Path, $"tensors '{previous.Name}' [{previous.Begin}, {previous.End}] and '{info.Name}' [{info.Begin}, {info.End}] overlap");
            previous = info;
        }
    }

    private static bool TryReadIntegers(JsonElement element, out long[] values)
    {
        values = [];
        if (element.ValueKind != JsonValueKind.Array)
            return false;
        var list = new List<long>(element.GetArrayLength());
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var value))
                return false;
            list.Add(value);
        }
        values = list.ToArray();
        return true;
    }

    private static InvalidModelException Invalid(string path, string problem) =>
        new($"Invalid safetensors file '{path}': {problem}.");
}

/// <summary>Mapping between <see cref="SafeTensorDType"/>, the header's dtype strings and TorchSharp's ScalarType.</summary>
internal static class SafeTensorDTypes
{
    private static readonly Dictionary<string, SafeTensorDType> ByName =
        Enum.GetValues<SafeTensorDType>().ToDictionary(d => d.ToString(), StringComparer.Ordinal);

    public static bool TryParse(string name, out SafeTensorDType dtype) => ByName.TryGetValue(name, out dtype);

    public static int ByteSize(SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F64 or SafeTensorDType.I64 => 8,
        SafeTensorDType.F32 or SafeTensorDType.I32 => 4,
        SafeTensorDType.F16 or SafeTensorDType.BF16 or SafeTensorDType.I16 => 2,
        SafeTensorDType.I8 or SafeTensorDType.U8 or SafeTensorDType.BOOL => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    public static torch.ScalarType ToScalarType(SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F64 => torch.ScalarType.Float64,
        SafeTensorDType.F32 => torch.ScalarType.Float32,
        SafeTensorDType.F16 => torch.ScalarType.Float16,
        SafeTensorDType.BF16 => torch.ScalarType.BFloat16,
        SafeTensorDType.I64 => torch.ScalarType.Int64,
        SafeTensorDType.I32 => torch.ScalarType.Int32,
        SafeTensorDType.I16 => torch.ScalarType.Int16,
        SafeTensorDType.I8 => torch.ScalarType.Int8,
        SafeTensorDType.U8 => torch.ScalarType.Byte,
        SafeTensorDType.BOOL => torch.ScalarType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    public static bool TryFromScalarType(torch.ScalarType type, out SafeTensorDType dtype)
    {
        SafeTensorDType? match = type switch
        {
            torch.ScalarType.Float64 => SafeTensorDType.F64,
            torch.ScalarType.Float32 => SafeTensorDType.F32,
            torch.ScalarType.Float16 => SafeTensorDType.F16,
            torch.ScalarType.BFloat16 => SafeTensorDType.BF16,
            torch.ScalarType.Int64 => SafeTensorDType.I64,
            torch.ScalarType.Int32 => SafeTensorDType.I32,
            torch.ScalarType.Int16 => SafeTensorDType.I16,
            torch.ScalarType.Int8 => SafeTensorDType.I8,
            torch.ScalarType.Byte => SafeTensorDType.U8,
            torch.ScalarType.Bool => SafeTensorDType.BOOL,
            _ => null,
        };
        dtype = match.GetValueOrDefault();
        return match.HasValue;
    }
}

/// <summary>Raw byte access to a contiguous CPU tensor, in chunks because TorchSharp exposes bytes as an int-sized Span.</summary>
internal static class TensorBytes
{
    private const long ChunkBytes = 1L << 30;

    /// <summary>Calls action with consecutive spans over the tensor's storage and each span's byte offset.</summary>
    public static void ForEachChunk(torch.Tensor contiguousCpu, Action<Span<byte>, long> action)
    {
        long count = contiguousCpu.numel();
        if (count == 0)
            return;
        long elementSize = contiguousCpu.element_size();
        long chunkElements = ChunkBytes / elementSize;
        using var flat = contiguousCpu.view(-1);
        for (long start = 0; start < count; start += chunkElements)
        {
            using var part = flat.narrow(0, start, Math.Min(chunkElements, count - start));
            action(part.bytes, start * elementSize);
        }
    }
}
