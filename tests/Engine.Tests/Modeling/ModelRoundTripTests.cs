using TorchSharp;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests;

public sealed class ModelRoundTripTests
{
    [Theory]
    [InlineData(ModelFamily.Llama)]
    [InlineData(ModelFamily.Qwen2)]
    [InlineData(ModelFamily.Gpt2)]
    public void Random_model_written_as_hf_folder_reloads_with_identical_logits(ModelFamily family)
    {
        var dir = Path.Combine(TinyModels.TempDir(), "model");
        using var original = TinyModels.Create(family);
        HfModelWriter.Write(original, dir);
        using var reloaded = ModelLoader.Load(dir, ComputeDevice.Cpu);

        Assert.Equal(original.Config with { EosTokenIds = [] }, reloaded.Config with { EosTokenIds = [] });
        Assert.Equal(original.Config.EosTokenIds, reloaded.Config.EosTokenIds);
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var ids = randint(3, 512, [2, 9], dtype: ScalarType.Int64);
        var expected = original.Model.Forward(ids);
        var actual = reloaded.Model.Forward(ids);
        Assert.Equal([2L, 9, 512], actual.shape);
        Assert.True(expected.equal(actual).all().item<bool>(), "reloaded logits differ");
    }

    [Fact]
    public void Gpt2_weights_are_stored_in_conv1d_layout()
    {
        var dir = Path.Combine(TinyModels.TempDir(), "gpt2");
        using var model = TinyModels.Create(ModelFamily.Gpt2);
        HfModelWriter.Write(model, dir);
        using var file = SafeTensorsFile.Open(Path.Combine(dir, "model.safetensors"));
        Assert.Equal([32L, 96], file.Tensors["transformer.h.0.attn.c_attn.weight"].Shape);
        Assert.Equal([32L, 48], file.Tensors["transformer.h.0.mlp.c_fc.weight"].Shape);
        Assert.False(file.Contains("lm_head.weight"));
    }

    [Fact]
    public void Qwen2_has_qkv_biases_and_llama_does_not()
    {
        using var qwen = TinyModels.Create(ModelFamily.Qwen2);
        using var llama = TinyModels.Create(ModelFamily.Llama);
        var qwenNames = qwen.Model.state_dict().Keys.ToHashSet();
        var llamaNames = llama.Model.state_dict().Keys.ToHashSet();
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", qwenNames);
        Assert.DoesNotContain("model.layers.0.self_attn.o_proj.bias", qwenNames);
        Assert.DoesNotContain("model.layers.0.self_attn.q_proj.bias", llamaNames);
        Assert.Contains("lm_head.weight", llamaNames);
        Assert.DoesNotContain("lm_head.weight", qwenNames);
    }

    [Fact]
    public void Bf16_and_f16_weights_load_converted_to_fp32()
    {
        var dir = Path.Combine(TinyModels.TempDir(), "half");
        using var model = TinyModels.Create(ModelFamily.Llama);
        HfModelWriter.Write(model, dir);
        // Rewrite the weights in bf16 (embeddings) and f16 (the rest), as HF checkpoints usually are.
        var path = Path.Combine(dir, "model.safetensors");
        using (var scope = NewDisposeScope())
        {
            var half = model.Model.state_dict().Select(kv => KeyValuePair.Create(kv.Key,
                kv.Value.to(kv.Key.Contains("embed") ? ScalarType.BFloat16 : ScalarType.Float16))).ToList();
            SafeTensorsWriter.Write(path, half);
        }
        using var reloaded = ModelLoader.Load(dir, ComputeDevice.Cpu);
        var weight = reloaded.Model.state_dict()["model.embed_tokens.weight"];
        Assert.Equal(ScalarType.Float32, weight.dtype);
        using var expected = model.Model.state_dict()["model.embed_tokens.weight"].to(ScalarType.BFloat16).to(ScalarType.Float32);
        Assert.True(weight.equal(expected).all().item<bool>());
    }
}
