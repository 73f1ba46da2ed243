using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Loading;

/// <summary>A model of any supported shape with seeded random weights: for tests and benchmarks, where no real weights can be downloaded.</summary>
public static class RandomModel
{
    public static LoadedModel Create(ModelConfig config, ITextTokenizer tokenizer, ModelSource source, ComputeDevice device, long seed = 0)
    {
        var model = CausalLM.Create(config);
        var generator = new Generator((ulong)seed);
        try
        {
            // Norm weights near 1 and everything else small, like a freshly initialised HF model; biases random so loading them is tested.
            ModelLoader.Fill(model, "random", name =>
            {
                var shape = model.get_parameter(name)!.shape;
                var noise = randn(shape, generator: generator) * 0.02;
                return IsNormWeight(name) ? noise.add_(1.0) : noise;
            });
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return ModelLoader.Prepare(model, tokenizer, source, device);
    }

    private static bool IsNormWeight(string name) =>
        name.EndsWith("norm.weight") || name.EndsWith("ln_1.weight") || name.EndsWith("ln_2.weight") || name.EndsWith("ln_f.weight");
}
