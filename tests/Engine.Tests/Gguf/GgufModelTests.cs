using WebUI.Engine.Generation;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests;

/// <summary>Models and tokenizers written as GGUF read back as they were, for every family the engine supports.</summary>
public sealed class GgufModelTests
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 378, 300, 17, 90];

    internal static float[] Logits(LoadedModel model, int[] ids)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        using var input = tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0);
        return model.Model.Forward(input).to(ScalarType.Float32).flatten().data<float>().ToArray();
    }

    [Theory]
    [InlineData(ModelFamily.Llama)]
    [InlineData(ModelFamily.Qwen2)]
    [InlineData(ModelFamily.Gpt2)]
    public void F32_export_loads_back_with_the_same_config_tokenizer_and_logits(ModelFamily family)
    {
        using var original = TinyModels.Create(family, seed: 3);
        var path = Path.Combine(TinyModels.TempDir(), "tiny.gguf");
        GgufExport.WriteModel(original, path, GgmlType.F32);

        using var loaded = ModelLoader.Load(path, ComputeDevice.Cpu);
        Assert.Equal(ModelFormat.Gguf, loaded.Source.Format);
        Assert.Equal(original.Config with { NormEps = loaded.Config.NormEps, EosTokenIds = loaded.Config.EosTokenIds }, loaded.Config);
        Assert.Equal(original.Config.EosTokenIds, loaded.Config.EosTokenIds);
        Assert.Equal(original.Config.NormEps, loaded.Config.NormEps, 1e-9); // stored as float32
        Assert.Equal(original.Tokenizer.Encode("Once upon a time, Lily saw 12 cats."), loaded.Tokenizer.Encode("Once upon a time, Lily saw 12 cats."));
        Assert.Equal(Logits(original, Prompt), Logits(loaded, Prompt));
        Assert.True(File.Exists(Path.ChangeExtension(path, ".Modelfile")));
    }

    [Theory]
    [InlineData(GgmlType.F16, 2e-3)]
    [InlineData(GgmlType.Q8_0, 2e-2)]
    public void Smaller_types_keep_norms_in_f32_and_stay_close(GgmlType type, double tolerance)
    {
        var config = TinyModels.Config(ModelFamily.Llama) with { HiddenSize = 64, IntermediateSize = 80 }; // 80-wide rows are no whole Q8_0 blocks
        using var original = RandomModel.Create(config, TinyModels.Create(ModelFamily.Llama).Tokenizer, ModelSource.Detect(TinyModels.StoriesDir), ComputeDevice.Cpu, seed: 5);
        var path = Path.Combine(TinyModels.TempDir(), "tiny.gguf");
        GgufExport.WriteModel(original, path, type);

        using (var file = GgufFile.Open(path))
        {
            Assert.Equal(GgmlType.F32, file.Tensors["blk.0.attn_norm.weight"].Type);
            Assert.Equal(type, file.Tensors["blk.0.attn_q.weight"].Type);
            Assert.Equal(type == GgmlType.Q8_0 ? GgmlType.F16 : type, file.Tensors["blk.0.ffn_down.weight"].Type);
            Assert.Equal(type == GgmlType.F16 ? 1L : 7L, file.Integer("general.file_type"));
        }
        using var loaded = ModelLoader.Load(path, ComputeDevice.Cpu);
        var (expected, actual) = (Logits(original, Prompt), Logits(loaded, Prompt));
        var scale = expected.Max(Math.Abs);
        Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) <= tolerance * scale, $"{p.First} vs {p.Second}"));
        Assert.NotEqual(expected, actual); // it really was rounded
    }

    [Fact]
    public void Exporting_onto_an_existing_file_keeps_the_old_one_as_a_backup()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        var dir = TinyModels.TempDir();
        var path = Path.Combine(dir, "tiny.gguf");
        File.WriteAllText(path, "the old export");
        GgufExport.WriteModel(model, path, GgmlType.F32);
        var backup = Assert.Single(Directory.GetFiles(dir, "tiny.gguf.backup-*"));
        Assert.Equal("the old export", File.ReadAllText(backup));
        using var file = GgufFile.Open(path);
        Assert.Equal("llama", file.String("general.architecture"));
    }

    /// <summary>SmolLM2's tokenizer written as GGUF metadata, with ChatML as its chat template (its folder here has none).</summary>
    private static (ITextTokenizer Original, ITextTokenizer Read, GgufFile File) SmolLmThroughGguf()
    {
        var tokenizer = TokenizerLoader.FromFolder(SharedModels.Dir("smollm2-135m-instruct-tokenizer"));
        var path = Path.Combine(TinyModels.TempDir(), "tokenizer.gguf");
        var writer = new GgufWriter();
        GgufTokenizer.Write(tokenizer, writer);
        writer.Set("tokenizer.chat_template", BuiltInChatTemplates.ChatML);
        AtomicFile.Write(path, writer.WriteTo);
        var file = GgufFile.Open(path);
        return (tokenizer, GgufTokenizer.Read(file), file);
    }

    [Fact]
    public void Byte_level_bpe_tokenizer_survives_gguf_metadata()
    {
        var (tokenizer, read, file) = SmolLmThroughGguf();
        using var _ = file;
        Assert.Equal("gpt2", file.String("tokenizer.ggml.model"));
        Assert.Equal("smollm", file.String("tokenizer.ggml.pre"));
        const string text = "<|im_start|>user\nWhat's 1234 + 56? Ünïcödé 😀 code:\tx=1;<|im_end|>";
        Assert.Equal(tokenizer.Encode(text), read.Encode(text));
        Assert.Equal(tokenizer.EosIds, read.EosIds);
        Assert.Equal(tokenizer.BosId, read.BosId);
        Assert.Equal(BuiltInChatTemplates.ChatML, read.ChatTemplate);
        Assert.Equal(tokenizer.Decode(tokenizer.Encode(text)), read.Decode(read.Encode(text)));
    }

    [Fact]
    public void Modelfile_carries_the_chat_template_as_a_go_template_and_its_stops()
    {
        var (_, tokenizer, file) = SmolLmThroughGguf();
        file.Dispose();
        var path = Path.Combine(TinyModels.TempDir(), "model.Modelfile");
        OllamaModelfile.Write(path, "./model.gguf", "adapter.gguf", tokenizer);
        var text = File.ReadAllText(path);
        Assert.Contains("FROM ./model.gguf\n", text);
        Assert.Contains("ADAPTER ./adapter.gguf\n", text);
        Assert.Contains("TEMPLATE \"\"\"{{- range $i, $m := .Messages }}", text);
        Assert.Contains("{{ if eq $m.Role \"system\" }}<|im_start|>system\n{{ $m.Content }}<|im_end|>\n<|im_start|>user\n", text);
        Assert.Contains("if eq $m.Role \"user\" }}{{ if eq $i 0 }}<|im_start|>user\n{{ end }}{{ $m.Content }}<|im_end|>\n<|im_start|>assistant\n", text);
        Assert.Contains("{{ else if eq $m.Role \"assistant\" }}{{ $m.Content }}<|im_end|>\n<|im_start|>user\n{{ end }}{{ end }}", text);
        Assert.Contains("PARAMETER stop \"<|im_end|>\"", text);
    }
}
