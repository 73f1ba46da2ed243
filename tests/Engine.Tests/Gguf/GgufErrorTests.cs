using System.Text;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using WebUI.Engine.Studio;

namespace WebUI.Engine.Tests;

/// <summary>Broken GGUF files get an error naming the file and what is wrong, and the studio stays up to load a good one.</summary>
public sealed class GgufErrorTests
{
    /// <summary>A tiny Llama exported as F32: the good file the cases below break.</summary>
    private static byte[] GoodFile()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        var path = Path.Combine(TinyModels.TempDir(), "good.gguf");
        GgufModelFile.Write(model, path, GgmlType.F32, "good");
        return File.ReadAllBytes(path);
    }

    private static readonly Lazy<byte[]> Good = new(GoodFile);

    private static string Write(byte[] bytes)
    {
        var path = Path.Combine(TinyModels.TempDir(), "broken.gguf");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>The good file with the 4 bytes of a uint32 metadata value (after its key and type) replaced.</summary>
    private static byte[] WithUInt32(string key, uint value)
    {
        var bytes = Good.Value.ToArray();
        var at = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(key)) + key.Length + 4;
        BitConverter.TryWriteBytes(bytes.AsSpan(at), value);
        return bytes;
    }

    /// <summary>A file of one F32 tensor "t" of 32 values, with the given type number and offset in its info.</summary>
    private static byte[] OneTensor(uint type, ulong offset)
    {
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream);
        w.Write(0x46554747u); w.Write(3u); w.Write(1UL); w.Write(0UL);
        w.Write(1UL); w.Write((byte)'t'); w.Write(1u); w.Write(32UL); w.Write(type); w.Write(offset);
        while (stream.Length % 32 != 0) w.Write((byte)0);
        w.Write(new byte[128]);
        return stream.ToArray();
    }

    private static string LoadError(byte[] bytes)
    {
        var path = Write(bytes);
        var error = Assert.Throws<InvalidModelException>(() => ModelLoader.Load(path, ComputeDevice.Cpu));
        Assert.Contains(path, error.Message);
        return error.Message;
    }

    [Fact]
    public void A_truncated_file_is_named_as_truncated() =>
        Assert.Contains("truncated", LoadError(Good.Value[..200]));

    [Fact]
    public void A_file_cut_inside_its_tensor_data_names_the_tensor_outside_the_file() =>
        Assert.Contains("lies outside the file", LoadError(Good.Value[..^64]));

    [Fact]
    public void A_wrong_magic_number_is_not_a_gguf_file() =>
        Assert.Contains("not a GGUF file", LoadError([.. "GGML"u8, .. Good.Value[4..]]));

    [Fact]
    public void An_unsupported_version_is_named()
    {
        var bytes = Good.Value.ToArray();
        BitConverter.TryWriteBytes(bytes.AsSpan(4), 7u);
        Assert.Contains("GGUF version 7 is not supported", LoadError(bytes));
    }

    [Fact]
    public void An_unknown_tensor_type_names_the_tensor_and_the_type()
    {
        Assert.Contains("tensor 't' has unknown tensor type 99", Assert.Throws<InvalidModelException>(() => GgufFile.Open(Write(OneTensor(99, 0)))).Message);
        Assert.Contains("tensor 't' has type Q2_K, which WebUI does not read", Assert.Throws<InvalidModelException>(() => GgufFile.Open(Write(OneTensor(10, 0)))).Message);
    }

    [Fact]
    public void A_tensor_offset_outside_the_file_names_the_tensor() =>
        Assert.Contains("tensor 't' lies outside the file", Assert.Throws<InvalidModelException>(() => GgufFile.Open(Write(OneTensor(0, 1UL << 40)))).Message);

    [Fact]
    public void An_unsupported_architecture_is_named()
    {
        var bytes = Good.Value.ToArray();
        var at = bytes.AsSpan().IndexOf("llama"u8); // general.architecture's value comes first
        "mamba"u8.CopyTo(bytes.AsSpan(at));
        Assert.Contains("architecture 'mamba' is not supported", LoadError(bytes));
    }

    [Fact]
    public void Metadata_that_disagrees_with_the_tensor_shapes_names_the_weight() =>
        Assert.Contains("weight 'model.layers.0.mlp.gate_proj.weight' has shape [48, 32], the config implies [64, 32]",
            LoadError(WithUInt32("llama.feed_forward_length", 64)));

    [Fact]
    public void A_file_without_a_tokenizer_says_so()
    {
        var bytes = Good.Value.ToArray();
        var at = bytes.AsSpan().IndexOf("tokenizer.ggml.model"u8);
        "tokenizer.ggml.XXXXX"u8.CopyTo(bytes.AsSpan(at));
        Assert.Contains("no tokenizer in the metadata (tokenizer.ggml.model is missing)", LoadError(bytes));
    }

    [Fact]
    public async Task The_studio_reports_a_broken_gguf_and_then_loads_a_good_one()
    {
        var paths = new StudioPaths(TinyModels.TempDir());
        using var engine = new StudioEngine(paths);
        Directory.CreateDirectory(Path.Combine(paths.Models, "broken"));
        File.WriteAllBytes(Path.Combine(paths.Models, "broken", "model.gguf"), Good.Value[..300]);
        Directory.CreateDirectory(Path.Combine(paths.Models, "good"));
        File.WriteAllBytes(Path.Combine(paths.Models, "good", "model.gguf"), Good.Value);

        var error = await Assert.ThrowsAsync<InvalidModelException>(() => engine.LoadModelAsync("broken"));
        Assert.Contains("model.gguf", error.Message);
        var info = await engine.LoadModelAsync("good");
        Assert.Equal("LlamaForCausalLM", info.Architecture);
        Assert.Contains(engine.ListModels(), m => m.Name == "good" && m.Format == "GGUF F32");
    }
}
