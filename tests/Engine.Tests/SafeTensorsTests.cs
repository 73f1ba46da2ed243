using System.Text;
using System.Text.Json;
using WebUI.Engine.Loading;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("webui-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void RoundTripIsBitIdenticalForEveryDTypeAndShape()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = randn(3, 4),
            ["f16"] = randn(5).to(ScalarType.Float16),
            ["bf16"] = randn(2, 3).to(ScalarType.BFloat16),
            ["i64"] = tensor(new long[] { long.MinValue, -1, 0, long.MaxValue }),
            ["f64"] = randn(2, dtype: ScalarType.Float64),
            ["i32"] = tensor(new[] { int.MinValue, 7 }),
            ["i16"] = tensor(new short[] { -3, 300 }),
            ["i8"] = tensor(new sbyte[] { -128, 127 }),
            ["u8"] = tensor(new byte[] { 0, 255 }),
            ["bool"] = tensor(new[] { true, false, true }),
            ["empty"] = zeros(0, 3),
            ["scalar"] = tensor(3.25f),
        };
        var path = Path.Combine(_folder, "model.safetensors");

        SafeTensorsWriter.Write(path, tensors);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(tensors.Keys.Order(), file.Tensors.Keys.Order());
        foreach (var (name, expected) in tensors)
        {
            AssertIdentical(expected, file.Read(name));
            Assert.Equal(expected.shape, file.Tensors[name].Shape);
        }
    }

    [Fact]
    public void HeaderIsSortedSpacePaddedToEightBytesAndDataIsPackedInNameOrder()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(_folder, "model.safetensors");

        SafeTensorsWriter.Write(path, [new("b", ones(3, dtype: ScalarType.Float16)), new("a", ones(1))]);

        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0, headerLength % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        Assert.EndsWith("}", header.TrimEnd(' '));
        using var json = JsonDocument.Parse(header);
        Assert.Equal(new[] { "a", "b" }, json.RootElement.EnumerateObject().Select(p => p.Name));
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal((0L, 4L), (file.Tensors["a"].Begin, file.Tensors["a"].End));
        Assert.Equal((4L, 10L), (file.Tensors["b"].Begin, file.Tensors["b"].End));
        Assert.Equal(8 + headerLength + 10, bytes.Length);
    }

    [Fact]
    public void NonContiguousTensorsAreWrittenInLogicalOrder()
    {
        using var scope = NewDisposeScope();
        var transposed = arange(6, dtype: ScalarType.Float32).reshape(2, 3).t();
        var path = Path.Combine(_folder, "model.safetensors");

        SafeTensorsWriter.Write(path, [new("w", transposed)]);

        using var file = SafeTensorsFile.Open(path);
        AssertIdentical(transposed, file.Read("w"));
    }

    [Fact]
    public void MetadataRoundTrips()
    {
        using var scope = NewDisposeScope();
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\"" };
        var path = Path.Combine(_folder, "model.safetensors");

        SafeTensorsWriter.Write(path, [new("w", ones(2))], metadata);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(metadata.OrderBy(m => m.Key), file.Metadata.OrderBy(m => m.Key));
        Assert.False(file.Contains("__metadata__"));
    }

    [Fact]
    public void Bf16ReadAsFloat32EqualsTorchConversion()
    {
        using var scope = NewDisposeScope();
        // Odd length exercises the scalar tail after the vector loop; special values must survive bit for bit.
        var special = tensor(new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 1e-40f });
        var bf16 = cat([randn(37), special]).to(ScalarType.BFloat16);
        var path = Path.Combine(_folder, "model.safetensors");
        SafeTensorsWriter.Write(path, [new("w", bf16)]);

        using var file = SafeTensorsFile.Open(path);
        var read = file.Read("w", ScalarType.Float32, CPU);

        Assert.Equal(SafeTensorDType.BF16, file.Tensors["w"].DType);
        AssertIdentical(bf16.to(ScalarType.Float32), read);
    }

    [Fact]
    public void ReadTensorsOutliveTheFileAndAbsentNamesAreNamed()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(_folder, "model.safetensors");
        SafeTensorsWriter.Write(path, [new("w", arange(4, dtype: ScalarType.Float32))]);

        Tensor read;
        using (var file = SafeTensorsFile.Open(path))
        {
            read = file.Read("w");
            var error = Assert.Throws<InvalidModelException>(() => file.Read("missing"));
            Assert.Contains(path, error.Message);
            Assert.Contains("'missing'", error.Message);
        }

        Assert.Equal(new[] { 0f, 1f, 2f, 3f }, read.data<float>().ToArray());
    }

    [Fact]
    public void ShardedFolderReadsEveryTensorThroughTheIndex()
    {
        using var scope = NewDisposeScope();
        var a = randn(2, 2);
        var b = arange(3, dtype: ScalarType.Int64);
        SafeTensorsWriter.Write(Path.Combine(_folder, "model-00001-of-00002.safetensors"), [new("a", a)]);
        SafeTensorsWriter.Write(Path.Combine(_folder, "model-00002-of-00002.safetensors"), [new("b", b)]);
        WriteIndex(("a", "model-00001-of-00002.safetensors"), ("b", "model-00002-of-00002.safetensors"));

        using var model = ShardedSafeTensors.OpenFolder(_folder);

        Assert.Equal(new[] { "a", "b" }, model.Names.Order());
        Assert.True(model.Contains("b"));
        Assert.Equal(SafeTensorDType.I64, model.Info("b").DType);
        AssertIdentical(a, model.Read("a"));
        AssertIdentical(b, model.Read("b"));
        var error = Assert.Throws<InvalidModelException>(() => model.Read("c"));
        Assert.Contains(_folder, error.Message);
        Assert.Contains("'c'", error.Message);
    }

    [Fact]
    public void FolderWithoutIndexUsesItsSafetensorsFile()
    {
        using var scope = NewDisposeScope();
        var w = randn(3);
        SafeTensorsWriter.Write(Path.Combine(_folder, "model.safetensors"), [new("w", w)]);

        using var model = ShardedSafeTensors.OpenFolder(_folder);

        Assert.Equal(new[] { "w" }, model.Names);
        AssertIdentical(w, model.Read("w"));
    }

    [Fact]
    public void IndexNamingAMissingShardIsRejected()
    {
        using var scope = NewDisposeScope();
        SafeTensorsWriter.Write(Path.Combine(_folder, "model-00001-of-00002.safetensors"), [new("a", ones(1))]);
        WriteIndex(("a", "model-00001-of-00002.safetensors"), ("b", "model-00002-of-00002.safetensors"));

        var error = Assert.Throws<InvalidModelException>(() => ShardedSafeTensors.OpenFolder(_folder));

        Assert.Contains("model-00002-of-00002.safetensors", error.Message);
    }

    [Fact]
    public void FolderWithoutSafetensorsIsRejectedByName()
    {
        File.WriteAllText(Path.Combine(_folder, "config.json"), "{}");

        var error = Assert.Throws<InvalidModelException>(() => ShardedSafeTensors.OpenFolder(_folder));

        Assert.Contains(_folder, error.Message);
    }

    [Fact]
    public void FileShorterThanTheLengthFieldIsRejected()
    {
        var path = Path.Combine(_folder, "short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);

        var error = Assert.Throws<InvalidModelException>(() => SafeTensorsFile.Open(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("shorter", error.Message);
    }

    [Theory]
    [InlineData("zero header length", "", 0L, 0, "empty", null)]
    [InlineData("header over 100 MB", "{}", 200_000_000L, 0, "limit", null)]
    [InlineData("header past end of file", "{}", 1000L, 0, "only", null)]
    [InlineData("malformed JSON", "{\"w\": ", -1L, 0, "well-formed", null)]
    [InlineData("JSON array", "[1, 2]", -1L, 0, "object", null)]
    [InlineData("unknown dtype", "{\"w\":{\"dtype\":\"F7\",\"shape\":[1],\"data_offsets\":[0,4]}}", -1L, 4, "unsupported dtype 'F7'", "w")]
    [InlineData("negative dimension", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1,2],\"data_offsets\":[0,8]}}", -1L, 8, "negative", "w")]
    [InlineData("size mismatch", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", -1L, 8, "needs 8 bytes", "w")]
    [InlineData("begin after end", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", -1L, 8, "greater than end", "w")]
    [InlineData("span past end of file", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", -1L, 8, "past the end", "w")]
    [InlineData("overlapping spans", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", -1L, 12, "overlap", "b")]
    [InlineData("duplicate name", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", -1L, 2, "twice", "w")]
    [InlineData("non-string metadata", "{\"__metadata__\":{\"k\":1}}", -1L, 0, "__metadata__", null)]
    public void CorruptFileIsRejectedNamingFileAndTensor(string corruption, string header, long declaredHeaderLength, int dataBytes, string expected, string? tensor)
    {
        var path = Path.Combine(_folder, corruption.Replace(' ', '-') + ".safetensors");
        var headerBytes = Encoding.UTF8.GetBytes(header);
        using (var stream = File.Create(path))
        {
            stream.Write(BitConverter.GetBytes(declaredHeaderLength < 0 ? (ulong)headerBytes.Length : (ulong)declaredHeaderLength));
            stream.Write(headerBytes);
            stream.Write(new byte[dataBytes]);
        }

        var error = Assert.Throws<InvalidModelException>(() => SafeTensorsFile.Open(path));

        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
        if (tensor is not null)
            Assert.Contains($"'{tensor}'", error.Message);
    }

    [Fact]
    public void EmptyTensorInsideAnotherSpanIsNotAnOverlap()
    {
        var path = Path.Combine(_folder, "gap.safetensors");
        var header = Encoding.UTF8.GetBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},\"c\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[12,13]}}");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[13]]);

        using var file = SafeTensorsFile.Open(path);

        Assert.Equal(3, file.Tensors.Count);
    }

    [Fact]
    public void InterruptedEnumerationLeavesThePreviousFileIntact()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(_folder, "model.safetensors");
        SafeTensorsWriter.Write(path, [new("w", arange(3, dtype: ScalarType.Float32))]);
        var before = File.ReadAllBytes(path);

        Assert.Throws<IOException>(() => SafeTensorsWriter.Write(path, InterruptedAfterOneTensor()));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder));
    }

    [Fact]
    public void FailureWhileWritingDataLeavesNoFileBehind()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(_folder, "model.safetensors");
        // A meta tensor has no storage, so copying its data fails after the header and "a" were written.
        var unreadable = empty(new long[] { 2 }, device: META);

        Assert.Throws<System.Runtime.InteropServices.ExternalException>(() => SafeTensorsWriter.Write(path, [new("a", ones(1024)), new("z", unreadable)]));

        Assert.Empty(Directory.GetFiles(_folder));
    }

    /// <summary>Same dtype, shape and bytes (torch.equal in TorchSharp is elementwise and broadcasts).</summary>
    private static void AssertIdentical(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.dtype, actual.dtype);
        Assert.Equal(expected.shape, actual.shape);
        using var contiguous = expected.contiguous();
        Assert.Equal(contiguous.bytes.ToArray(), actual.bytes.ToArray());
    }

    private static IEnumerable<KeyValuePair<string, Tensor>> InterruptedAfterOneTensor()
    {
        yield return new("a", ones(2));
        throw new IOException("simulated interruption");
    }

    private void WriteIndex(params (string Tensor, string File)[] weightMap)
    {
        var index = new { metadata = new { total_size = 0 }, weight_map = weightMap.ToDictionary(e => e.Tensor, e => e.File) };
        File.WriteAllText(Path.Combine(_folder, "model.safetensors.index.json"), JsonSerializer.Serialize(index));
    }
}
