using WebUI.Engine.Adapters;
using static TorchSharp.torch;

namespace WebUI.Engine.Loading;

/// <summary>GGUF exports as a user gets them: the .gguf file and, beside it, an Ollama Modelfile that runs it.</summary>
public static class GgufExport
{
    /// <summary>Writes PATH.gguf (the old one kept as a backup) and PATH.Modelfile; returns the GGUF path.</summary>
    public static string WriteModel(LoadedModel model, string path, GgmlType type, Func<string, Tensor, Tensor>? transformWeight = null)
    {
        path = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        GgufModelFile.Write(model, path, type, Path.GetFileNameWithoutExtension(path), transformWeight);
        OllamaModelfile.Write(ModelfilePath(path), "./" + Path.GetFileName(path), adapterFile: null, model.Tokenizer);
        return path;
    }

    /// <summary>
    /// Writes a LoRA adapter as llama.cpp's GGUF LoRA (general.type adapter, adapter.type lora, adapter.lora.alpha,
    /// F32 lora_a [rank, in] and lora_b [out, rank] per target under the base's tensor names, Llama's q/k lora_b rows
    /// permuted as llama.cpp's converter permutes the weights), and a Modelfile with FROM the base GGUF (if given)
    /// and ADAPTER this file. llama.cpp scales by alpha / rank, so an rsLoRA adapter's alpha is stored as
    /// scale · rank. An existing file is kept as a backup.
    /// </summary>
    /// <param name="baseGguf">The base model's GGUF for the Modelfile's FROM; null names the base model instead (as Ollama knows it).</param>
    public static string WriteAdapter(LoadedModel model, LoraAdapter adapter, string path, string? baseGguf)
    {
        path = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        adapter.EnsureFits(model.Model.Projections().ToDictionary(p => p.Path, p => p.Linear));
        if (adapter.Config.UseDora)
            throw new InvalidOperationException($"adapter '{adapter.Name}' is DoRA, which llama.cpp's GGUF LoRA cannot hold (no magnitude vectors); export the model with it merged instead");
        var arch = GgufModelFile.ArchitectureOf(model.Config);
        var writer = new GgufWriter()
            .Set("general.architecture", arch).Set("general.type", "adapter").Set("general.name", adapter.Name)
            .Set("adapter.type", "lora").Set("adapter.lora.alpha", (float)(adapter.Scale * adapter.Config.Rank));
        using var scope = NewDisposeScope();
        foreach (var (module, (a, b)) in adapter.Weights.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            var weight = module + ".weight";
            var gguf = HfWeightNames.GgufName(weight) ?? throw new InvalidOperationException($"adapter '{adapter.Name}' targets '{module}', which GGUF has no name for");
            var up = b.to(ScalarType.Float32).contiguous();
            if (HfWeightNames.InterleavedRotaryHeads(weight, model.Config) is int heads) up = RotaryLayout.ToInterleaved(up.clone(), heads);
            writer.AddTensor(gguf + ".lora_a", GgmlType.F32, a.to(ScalarType.Float32).contiguous());
            writer.AddTensor(gguf + ".lora_b", GgmlType.F32, up);
        }
        AtomicFile.Write(path, writer.WriteTo, keepBackup: true);
        var relative = baseGguf is null ? null : Path.GetRelativePath(Path.GetDirectoryName(path)!, Path.GetFullPath(baseGguf));
        var from = relative is null ? model.Source.Name : relative.StartsWith('.') ? relative : "./" + relative;
        OllamaModelfile.Write(ModelfilePath(path), from, Path.GetFileName(path), model.Tokenizer);
        return path;
    }

    /// <summary>NAME.Modelfile beside NAME.gguf, so several exports can share a folder.</summary>
    public static string ModelfilePath(string ggufPath) => Path.ChangeExtension(ggufPath, ".Modelfile");
}
