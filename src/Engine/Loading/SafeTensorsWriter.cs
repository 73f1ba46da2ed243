using System.Text.Json;
using TorchSharp;

namespace WebUI.Engine.Loading;

/// <summary>Writes .safetensors files that the reference implementation (and <see cref="SafeTensorsFile"/>) can read.</summary>
public static class SafeTensorsWriter
{
    private const string MetadataKey = "__metadata__";

    /// <summary>
    /// Writes the tensors (contiguous, each in its own dtype, names sorted) through <see cref="AtomicFile"/>, so a
    /// failed or interrupted write never leaves a partial file at path.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var sorted = new SortedDictionary<string, torch.Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (name == MetadataKey)
                throw new ArgumentException($"Cannot write '{path}': '{MetadataKey}' is reserved and cannot name a tensor.", nameof(tensors));
            if (!SafeTensorDTypes.TryFromScalarType(tensor.dtype, out _))
                throw new ArgumentException($"Cannot write tensor '{name}' to '{path}': dtype {tensor.dtype} has no safetensors equivalent.", nameof(tensors));
            if (!sorted.TryAdd(name, tensor))
                throw new ArgumentException($"Cannot write '{path}': tensor '{name}' is given twice.", nameof(tensors));
        }

        var header = BuildHeader(sorted, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[sizeof(ulong)];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var tensor in sorted.Values)
                WriteData(tensor, stream);
        });
    }

    /// <summary>The JSON header, padded with spaces to a multiple of 8 bytes so the data section starts aligned.</summary>
    private static byte[] BuildHeader(SortedDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, tensor) in tensors)
            {
                SafeTensorDTypes.TryFromScalarType(tensor.dtype, out var dtype);
                long byteCount = tensor.numel() * SafeTensorDTypes.ByteSize(dtype);
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype.ToString());
                json.WriteStartArray("shape");
                foreach (var dimension in tensor.shape)
                    json.WriteNumberValue(dimension);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + byteCount);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += byteCount;
            }
            json.WriteEndObject();
        }

        while (buffer.Length % 8 != 0)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static void WriteData(torch.Tensor tensor, Stream stream)
    {
        using var cpu = tensor.cpu();
        using var contiguous = cpu.contiguous();
        TensorBytes.ForEachChunk(contiguous, (chunk, _) => stream.Write(chunk));
    }
}
