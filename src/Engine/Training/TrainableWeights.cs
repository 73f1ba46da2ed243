using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using static TorchSharp.torch;

namespace WebUI.Engine.Training;

/// <summary>What a run trains and writes: a LoRA adapter beside frozen base weights, or the weights themselves.</summary>
public abstract class TrainableWeights : IDisposable
{
    public abstract IReadOnlyList<(string Name, Tensor Parameter)> Parameters { get; }
    public long Count => Parameters.Sum(p => p.Parameter.numel());
    public abstract void SaveCheckpoint(string folder);
    public abstract void LoadCheckpoint(string folder);
    /// <summary>Writes the final output; returns its folder.</summary>
    public abstract string SaveOutput(string folder, bool overwrite);
    public abstract void Dispose();

    public static TrainableWeights Create(LoadedModel model, TrainingOptions options) => options.Method == TrainingMethod.Lora
        ? new LoraWeights(model, options)
        : new FullWeights(model, options.FreezeEmbeddings);
}

/// <summary>A fresh adapter, active only on the training thread, so chat on other threads keeps the base model.</summary>
public sealed class LoraWeights : TrainableWeights
{
    private readonly LoraAdapter adapter;
    private readonly AdapterStack stack;

    public LoraWeights(LoadedModel model, TrainingOptions options)
    {
        adapter = options.StartFromAdapterPath is { } parent
            ? ContinueFrom(parent, model, options)
            : LoraAdapter.CreateTrainable(options.OutputName, model.Model, options.Lora, options.Seed, model.Source.Name);
        stack = new AdapterStack(model.Model);
        stack.Activate([(adapter, 1.0)]);
        Parameters = [.. adapter.Weights.SelectMany(kv => new[] { ($"{kv.Key}.lora_A", kv.Value.A), ($"{kv.Key}.lora_B", kv.Value.B) }),
            .. adapter.Magnitudes.Select(kv => ($"{kv.Key}.lora_magnitude_vector", kv.Value))];
        Model = model;
    }

    private LoadedModel Model { get; }

    // A trainable adapter holding the parent's weights (TrainingRun gave the options the parent's shape).
    private static LoraAdapter ContinueFrom(string parentFolder, LoadedModel model, TrainingOptions options)
    {
        using var parent = LoraAdapter.Load(parentFolder, model.Model);
        var adapter = LoraAdapter.CreateTrainable(options.OutputName, model.Model, options.Lora, options.Seed, model.Source.Name);
        adapter.CopyFrom(parent);
        return adapter;
    }
    public override IReadOnlyList<(string Name, Tensor Parameter)> Parameters { get; }

    public override void SaveCheckpoint(string folder) => adapter.Save(Path.Combine(folder, "adapter"));

    public override void LoadCheckpoint(string folder)
    {
        using var saved = LoraAdapter.Load(Path.Combine(folder, "adapter"), Model.Model);
        adapter.CopyFrom(saved);
    }

    public override string SaveOutput(string folder, bool overwrite)
    {
        adapter.Save(folder, overwrite);
        return folder;
    }

    public override void Dispose()
    {
        stack.Activate([]);
        adapter.Dispose();
    }
}

/// <summary>All weights (optionally not the embeddings) trained in place; the output is a complete HF model folder.</summary>
public sealed class FullWeights : TrainableWeights
{
    private readonly LoadedModel model;

    public FullWeights(LoadedModel model, bool freezeEmbeddings)
    {
        this.model = model;
        Parameters = [.. model.Model.named_parameters()
            .Where(p => !(freezeEmbeddings && (p.name.EndsWith("embed_tokens.weight") || p.name.EndsWith(".wte.weight") || p.name.EndsWith(".wpe.weight"))))
            .Select(p => (p.name, (Tensor)p.parameter))];
        foreach (var (_, p) in Parameters) p.requires_grad = true;
    }

    public override IReadOnlyList<(string Name, Tensor Parameter)> Parameters { get; }

    public override void SaveCheckpoint(string folder) =>
        SafeTensorsWriter.Write(Path.Combine(folder, "weights.safetensors"), Parameters.Select(p => KeyValuePair.Create(p.Name, p.Parameter)));

    public override void LoadCheckpoint(string folder)
    {
        using var file = SafeTensorsFile.Open(Path.Combine(folder, "weights.safetensors"));
        using var noGrad = no_grad();
        foreach (var (name, p) in Parameters)
        {
            using var value = file.Read(name, p.dtype, p.device);
            p.copy_(value);
        }
    }

    public override string SaveOutput(string folder, bool overwrite)
    {
        // Written completely beside the old model (hidden staging) before the old one is renamed to a backup.
        Adapters.AtomicFolder.Write(folder, Adapters.AtomicFolder.OnExisting(overwrite), staging => HfModelWriter.WriteInto(model, staging));
        return folder;
    }

    public override void Dispose()
    {
        foreach (var (_, p) in Parameters) p.requires_grad = false;
    }
}
