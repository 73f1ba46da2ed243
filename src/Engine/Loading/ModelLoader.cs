using TorchSharp;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Loading;

/// <summary>Loads a model folder (Hugging Face), a GGUF file or a llama2.c checkpoint, detecting which, into the compute device and dtype.</summary>
public static class ModelLoader
{
    public static LoadedModel Load(string path, ComputeDevice? device = null)
    {
        device ??= ComputeDevice.Detect();
        var source = ModelSource.Detect(path);
        return source.Format switch
        {
            ModelFormat.HuggingFace => LoadHf(source, device),
            ModelFormat.Gguf => GgufModelFile.Load(source, device),
            _ => LoadLlama2c(source, device),
        };
    }

    private static LoadedModel LoadHf(ModelSource source, ComputeDevice device)
    {
        var config = HfConfigReader.Read(Path.Combine(source.Path, "config.json"));
        var tokenizer = TokenizerLoader.FromFolder(source.Path);
        using var weights = ShardedSafeTensors.OpenFolder(source.Path);
        var model = CausalLM.Create(config);
        try
        {
            Fill(model, source.Path, name =>
            {
                var fileName = HfWeightNames.FileNamesFor(name).FirstOrDefault(weights.Contains);
                if (fileName is null) return null;
                var t = weights.Read(fileName, ScalarType.Float32);
                if (!HfWeightNames.IsTransposedConv1D(name)) return t;
                using (t) return t.t().contiguous();
            });
            return Prepare(model, tokenizer, source, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static LoadedModel LoadLlama2c(ModelSource source, ComputeDevice device)
    {
        var config = Llama2cCheckpoint.ReadConfig(source.WeightsPath);
        var tokenizer = TokenizerLoader.FromLlama2c(source.TokenizerPath!, config.VocabSize);
        var weights = Llama2cCheckpoint.ReadWeights(source.WeightsPath, config);
        var model = CausalLM.Create(config);
        try
        {
            Fill(model, source.WeightsPath, name => weights.Remove(name, out var t) ? t : null);
            return Prepare(model, tokenizer, source, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>Copies every parameter of the model from <paramref name="read"/>, which returns null when a weight is absent.</summary>
    public static void Fill(CausalLM model, string origin, Func<string, Tensor?> read)
    {
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            // The scope also frees whatever intermediates the reader made (dtype conversion, transposes).
            using var scope = NewDisposeScope();
            using var value = read(name) ?? throw new InvalidModelException($"{origin}: weight '{name}' is missing");
            if (!value.shape.SequenceEqual(parameter.shape))
                throw new InvalidModelException(
                    $"{origin}: weight '{name}' has shape [{string.Join(", ", value.shape)}], the config implies [{string.Join(", ", parameter.shape)}]");
            parameter.copy_(value);
        }
    }

    /// <summary>Moves a filled model to the device and dtype and freezes it for inference.</summary>
    public static LoadedModel Prepare(CausalLM model, ITextTokenizer tokenizer, ModelSource source, ComputeDevice device)
    {
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new InvalidModelException($"{source.Path}: tokenizer has {tokenizer.VocabSize} tokens but the model only {model.Config.VocabSize}");
        model.to(device.Device);
        model.to(device.DType);
        model.eval();
        foreach (var p in model.parameters()) p.requires_grad = false;
        return new LoadedModel(model, tokenizer, source, device);
    }
}
