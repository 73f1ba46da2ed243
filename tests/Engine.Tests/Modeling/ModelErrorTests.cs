using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;

namespace WebUI.Engine.Tests;

public sealed class ModelErrorTests
{
    [Fact]
    public void Unknown_architecture_is_named_with_the_supported_list()
    {
        var dir = TinyModels.TempDir();
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"architectures": ["MambaForCausalLM"], "vocab_size": 10}""");
        var e = Assert.Throws<InvalidModelException>(() => ModelLoader.Load(dir, ComputeDevice.Cpu));
        Assert.Contains("MambaForCausalLM", e.Message);
        Assert.Contains("LlamaForCausalLM", e.Message);
        Assert.Contains("GPT2LMHeadModel", e.Message);
    }

    [Fact]
    public void Folder_without_a_model_says_what_was_looked_for()
    {
        var e = Assert.Throws<InvalidModelException>(() => ModelLoader.Load(TinyModels.TempDir(), ComputeDevice.Cpu));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("llama2.c", e.Message);
    }

    [Fact]
    public void Missing_weight_is_named()
    {
        var dir = Path.Combine(TinyModels.TempDir(), "m");
        using (var model = TinyModels.Create(ModelFamily.Llama)) HfModelWriter.Write(model, dir);
        var path = Path.Combine(dir, "model.safetensors");
        using (var file = SafeTensorsFile.Open(path))
        {
            var kept = file.Tensors.Keys.Where(k => k != "model.layers.1.mlp.up_proj.weight")
                .Select(k => KeyValuePair.Create(k, file.Read(k))).ToList();
            SafeTensorsWriter.Write(path + ".new", kept);
        }
        File.Move(path + ".new", path, overwrite: true);
        var e = Assert.Throws<InvalidModelException>(() => ModelLoader.Load(dir, ComputeDevice.Cpu));
        Assert.Contains("model.layers.1.mlp.up_proj.weight", e.Message);
    }

    [Fact]
    public void Weight_of_the_wrong_shape_is_named_with_both_shapes()
    {
        var dir = Path.Combine(TinyModels.TempDir(), "m");
        using (var model = TinyModels.Create(ModelFamily.Llama)) HfModelWriter.Write(model, dir);
        var config = Path.Combine(dir, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"intermediate_size\": 48", "\"intermediate_size\": 50"));
        var e = Assert.Throws<InvalidModelException>(() => ModelLoader.Load(dir, ComputeDevice.Cpu));
        Assert.Contains("[48, 32]", e.Message);
        Assert.Contains("[50, 32]", e.Message);
    }

    [Fact]
    public void Truncated_llama2c_checkpoint_is_rejected()
    {
        var dir = TinyModels.TempDir();
        var bytes = File.ReadAllBytes(Path.Combine(TinyModels.StoriesDir, "stories260K.bin"));
        File.WriteAllBytes(Path.Combine(dir, "model.bin"), bytes[..(bytes.Length / 2)]);
        File.Copy(Path.Combine(TinyModels.StoriesDir, "tok512.bin"), Path.Combine(dir, "tok512.bin"));
        var e = Assert.Throws<InvalidModelException>(() => ModelLoader.Load(dir, ComputeDevice.Cpu));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("model.bin", e.Message);
    }

    [Fact]
    public void Existing_output_folder_is_never_overwritten_by_convert()
    {
        var dir = TinyModels.TempDir();
        File.WriteAllText(Path.Combine(dir, "keep.txt"), "precious");
        using var model = TinyModels.Create(ModelFamily.Llama);
        Assert.Throws<IOException>(() => HfModelWriter.Write(model, dir));
        Assert.Equal("precious", File.ReadAllText(Path.Combine(dir, "keep.txt")));
        Assert.False(File.Exists(Path.Combine(dir, "config.json")));
    }
}
