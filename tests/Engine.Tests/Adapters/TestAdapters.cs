using System.Text.Json.Nodes;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests.Adapters;

/// <summary>Helpers for adapter tests: adapters that actually change the output, and hand-made PEFT folders.</summary>
internal static class TestAdapters
{
    /// <summary>A fresh trainable adapter whose B is random, so that (unlike at init) it changes the model's output.</summary>
    public static LoraAdapter Random(LoadedModel model, long seed, LoraOptions? options = null, string name = "test")
    {
        var adapter = LoraAdapter.CreateTrainable(name, model.Model, options ?? new LoraOptions(), seed, "tiny");
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed + 1000);
        foreach (var (_, b) in adapter.Weights.Values) b.copy_(randn(b.shape, generator: generator) * 0.1);
        return adapter;
    }

    public static void WritePeftFolder(string dir, JsonObject config, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), config.ToJsonString());
        SafeTensorsWriter.Write(Path.Combine(dir, "adapter_model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Every file under a folder with its bytes, to show a folder is exactly as it was.</summary>
    public static IReadOnlyDictionary<string, byte[]> Snapshot(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);

    public static bool Identical(Tensor expected, Tensor actual) =>
        expected.shape.SequenceEqual(actual.shape) && expected.dtype == actual.dtype && expected.equal(actual).all().item<bool>();
}
