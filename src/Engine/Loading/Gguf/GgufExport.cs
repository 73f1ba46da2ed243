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
        OllamaModelfile.Write(ModelfilePath(path), Path.GetFileName(path), adapterFile: null, model.Tokenizer);
        return path;
    }

    /// <summary>NAME.Modelfile beside NAME.gguf, so several exports can share a folder.</summary>
    public static string ModelfilePath(string ggufPath) => Path.ChangeExtension(ggufPath, ".Modelfile");
}
