using System.Text.Json.Nodes;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests.Adapters;

/// <summary>The PEFT folder format: what is written, what is read back, and what is refused.</summary>
public sealed class LoraAdapterFormatTests
{
    private static readonly LoraOptions QueryValue = new() { Rank = 8, Alpha = 16, Dropout = 0.05, TargetModules = ["q_proj", "v_proj"] };

    [Fact]
    public void Saved_folder_has_peft_config_fields_and_key_names()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        using var adapter = LoraAdapter.CreateTrainable("qv", model.Model, QueryValue, 1, "org/tiny-llama");
        var dir = Path.Combine(TinyModels.TempDir(), "qv");
        adapter.Save(dir);

        Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json")))!.AsObject();
        Assert.Equal("LORA", config["peft_type"]!.GetValue<string>());
        Assert.Equal("CAUSAL_LM", config["task_type"]!.GetValue<string>());
        Assert.Equal(8, config["r"]!.GetValue<int>());
        Assert.Equal(16.0, config["lora_alpha"]!.GetValue<double>());
        Assert.Equal(0.05, config["lora_dropout"]!.GetValue<double>());
        Assert.Equal(["q_proj", "v_proj"], config["target_modules"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal("none", config["bias"]!.GetValue<string>());
        Assert.Equal("org/tiny-llama", config["base_model_name_or_path"]!.GetValue<string>());
        Assert.True(config["inference_mode"]!.GetValue<bool>());
        Assert.False(config["fan_in_fan_out"]!.GetValue<bool>());
        Assert.True(config.ContainsKey("modules_to_save") && config["modules_to_save"] is null);

        using var file = SafeTensorsFile.Open(Path.Combine(dir, "adapter_model.safetensors"));
        var expected = from layer in new[] { 0, 1 }
                       from module in new[] { "q_proj", "v_proj" }
                       from matrix in new[] { "A", "B" }
                       select $"base_model.model.model.layers.{layer}.self_attn.{module}.lora_{matrix}.weight";
        Assert.Equal(expected.Order(), file.Tensors.Keys.Order());
        Assert.Equal([8L, 32], file.Tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].Shape);
        Assert.Equal([32L, 8], file.Tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"].Shape);
        Assert.Equal([16L, 8], file.Tensors["base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"].Shape);
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void Gpt2_adapter_says_fan_in_fan_out_and_keeps_peft_lora_shapes()
    {
        // PEFT's LoRA on Conv1D still has lora_A [r, in] and lora_B [out, r]; fan_in_fan_out only concerns the base weight.
        using var model = TinyModels.Create(ModelFamily.Gpt2);
        using var adapter = LoraAdapter.CreateTrainable("g", model.Model, new LoraOptions { Rank = 4 }, 1, "gpt2");
        var dir = Path.Combine(TinyModels.TempDir(), "g");
        adapter.Save(dir);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json")))!;
        Assert.True(config["fan_in_fan_out"]!.GetValue<bool>());
        using var file = SafeTensorsFile.Open(Path.Combine(dir, "adapter_model.safetensors"));
        Assert.Equal([4L, 32], file.Tensors["base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"].Shape);
        Assert.Equal([96L, 4], file.Tensors["base_model.model.transformer.h.0.attn.c_attn.lora_B.weight"].Shape);
        Assert.Equal([32L, 4], file.Tensors["base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight"].Shape);
    }

    [Theory]
    [InlineData(ModelFamily.Llama)]
    [InlineData(ModelFamily.Qwen2)]
    [InlineData(ModelFamily.Gpt2)]
    public void Save_then_load_round_trips_bit_identical(ModelFamily family)
    {
        using var model = TinyModels.Create(family);
        using var saved = TestAdapters.Random(model, seed: 3, new LoraOptions { Rank = 6, Alpha = 12, Dropout = 0.1 });
        var dir = Path.Combine(TinyModels.TempDir(), "round-trip");
        saved.Save(dir);
        using var loaded = LoraAdapter.Load(dir, model.Model);

        Assert.Equal("round-trip", loaded.Name);
        Assert.Equal((6, 12.0, 0.1, "tiny", false), (loaded.Config.Rank, loaded.Config.Alpha, loaded.Config.Dropout, loaded.Config.BaseModel, loaded.Config.UseRsLora));
        Assert.Equal(saved.Config.TargetModules, loaded.Config.TargetModules);
        Assert.Equal(saved.Scale, loaded.Scale);
        Assert.Equal(saved.Weights.Keys, loaded.Weights.Keys);
        foreach (var (path, (a, b)) in saved.Weights)
        {
            Assert.True(TestAdapters.Identical(a, loaded.Weights[path].A), $"{path} A differs");
            Assert.True(TestAdapters.Identical(b, loaded.Weights[path].B), $"{path} B differs");
        }
        Assert.All(loaded.Parameters(), p => Assert.False(p.requires_grad));
    }

    private static JsonObject PythonPeftConfig(int rank = 4) => new()
    {
        ["alpha_pattern"] = new JsonObject(), ["auto_mapping"] = null, ["base_model_name_or_path"] = "HuggingFaceTB/SmolLM-135M",
        ["bias"] = "none", ["fan_in_fan_out"] = false, ["inference_mode"] = true, ["init_lora_weights"] = true,
        ["layers_pattern"] = null, ["layers_to_transform"] = null, ["lora_alpha"] = 8, ["lora_dropout"] = 0.1,
        ["modules_to_save"] = null, ["peft_type"] = "LORA", ["r"] = rank, ["rank_pattern"] = new JsonObject(), ["revision"] = null,
        ["target_modules"] = @"model\.layers\.\d+\.self_attn\.(q_proj|v_proj)", ["task_type"] = "CAUSAL_LM",
        ["use_dora"] = false, ["use_rslora"] = false,
    };

    [Fact]
    public void Python_peft_folder_with_default_adapter_names_and_regex_targets_loads()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        var dir = Path.Combine(TinyModels.TempDir(), "from-python");
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight"] = randn(4, 32),
            ["base_model.model.model.layers.0.self_attn.q_proj.lora_B.default.weight"] = randn(32, 4),
            ["base_model.model.model.layers.1.self_attn.v_proj.lora_A.default.weight"] = randn(4, 32),
            ["base_model.model.model.layers.1.self_attn.v_proj.lora_B.default.weight"] = randn(16, 4),
        };
        TestAdapters.WritePeftFolder(dir, PythonPeftConfig(), tensors);
        using var adapter = LoraAdapter.Load(dir, model.Model);

        Assert.Equal(["model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.v_proj"], adapter.Weights.Keys);
        Assert.True(TestAdapters.Identical(tensors["base_model.model.model.layers.1.self_attn.v_proj.lora_B.default.weight"],
            adapter.Weights["model.layers.1.self_attn.v_proj"].B));
        Assert.Equal(["q_proj", "v_proj"], adapter.Config.TargetModules);
        Assert.Equal((4, 8.0, 0.1, "HuggingFaceTB/SmolLM-135M"), (adapter.Config.Rank, adapter.Config.Alpha, adapter.Config.Dropout, adapter.Config.BaseModel));
        Assert.Equal(2.0, adapter.Scale);
    }

    [Fact]
    public void Rank_stabilised_lora_scales_by_alpha_over_root_rank()
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        var dir = Path.Combine(TinyModels.TempDir(), "rslora");
        var config = PythonPeftConfig();
        config["use_rslora"] = true;
        config["target_modules"] = new JsonArray("q_proj");
        using (var scope = NewDisposeScope())
            TestAdapters.WritePeftFolder(dir, config, new Dictionary<string, Tensor>
            {
                ["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"] = randn(4, 32),
                ["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"] = randn(32, 4),
            });
        using var adapter = LoraAdapter.Load(dir, model.Model);
        Assert.Equal(8 / Math.Sqrt(4), adapter.Scale);
        Assert.True(adapter.Config.UseRsLora);
    }

    // What is wrong, and the key, module or config value the error must name.
    public static TheoryData<string, string> BadFolders => new()
    {
        { "shape", "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight" },
        { "module", "base_model.model.model.layers.5.self_attn.q_proj.lora_A.weight" },
        { "partner", "model.layers.0.self_attn.q_proj' has lora_A but no lora_B" },
        { "dora", "use_dora" },
        { "ia3", "peft_type 'IA3'" },
    };

    [Theory]
    [MemberData(nameof(BadFolders))]
    public void Unusable_adapters_are_rejected_naming_the_file_and_key(string problem, string named)
    {
        using var model = TinyModels.Create(ModelFamily.Llama);
        var dir = Path.Combine(TinyModels.TempDir(), problem);
        var config = PythonPeftConfig();
        if (problem == "dora") config["use_dora"] = true;
        if (problem == "ia3") config["peft_type"] = "IA3";
        const string prefix = "base_model.model.model.layers.0.self_attn.q_proj";
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            [$"{prefix}.lora_A.weight"] = randn(4, problem == "shape" ? 31 : 32),
            [$"{prefix}.lora_B.weight"] = randn(32, 4),
        };
        if (problem == "module") tensors["base_model.model.model.layers.5.self_attn.q_proj.lora_A.weight"] = randn(4, 32);
        if (problem == "partner") tensors.Remove($"{prefix}.lora_B.weight");
        TestAdapters.WritePeftFolder(dir, config, tensors);

        var error = Assert.Throws<InvalidModelException>(() => LoraAdapter.Load(dir, model.Model));
        Assert.Contains(named, error.Message);
        Assert.Contains(dir, error.Message);
    }
}
