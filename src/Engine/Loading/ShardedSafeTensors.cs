using System.Text.Json;
using TorchSharp;

namespace WebUI.Engine.Loading;

/// <summary>
/// A model folder's weights: the shards listed in model.safetensors.index.json ("weight_map": tensor -> file) when
/// that index exists, otherwise every *.safetensors file in the folder (typically just model.safetensors).
/// </summary>
public sealed class ShardedSafeTensors : IDisposable
{
    private const string IndexFileName = "model.safetensors.index.json";

    private readonly string _folder;
    private readonly List<SafeTensorsFile> _files;
    private readonly Dictionary<string, SafeTensorsFile> _fileOfTensor;

    private ShardedSafeTensors(string folder, List<SafeTensorsFile> files, Dictionary<string, SafeTensorsFile> fileOfTensor)
    {
        _folder = folder;
        _files = files;
        _fileOfTensor = fileOfTensor;
    }

    public IReadOnlyCollection<string> Names => _fileOfTensor.Keys;

    public static ShardedSafeTensors OpenFolder(string folder)
    {
        var fullFolder = Path.GetFullPath(folder);
        if (!Directory.Exists(fullFolder))
            throw new InvalidModelException($"Model folder '{fullFolder}' does not exist.");

        var files = new List<SafeTensorsFile>();
        try
        {
            var indexPath = Path.Combine(fullFolder, IndexFileName);
            var fileOfTensor = File.Exists(indexPath)
                ? OpenIndexedShards(fullFolder, indexPath, files)
                : OpenAllFiles(fullFolder, files);
            return new ShardedSafeTensors(fullFolder, files, fileOfTensor);
        }
        catch
        {
            foreach (var file in files)
                file.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _fileOfTensor.ContainsKey(name);

    public SafeTensorInfo Info(string name) => FileOf(name).Tensors[name];

    public torch.Tensor Read(string name, torch.ScalarType? dtype = null, torch.Device? device = null) =>
        FileOf(name).Read(name, dtype, device);

    public void Dispose()
    {
        foreach (var file in _files)
            file.Dispose();
    }

    private SafeTensorsFile FileOf(string name) =>
        _fileOfTensor.TryGetValue(name, out var file)
            ? file
            : throw new InvalidModelException($"Model folder '{_folder}' has no tensor '{name}'.");

    private static Dictionary<string, SafeTensorsFile> OpenIndexedShards(string folder, string indexPath, List<SafeTensorsFile> files)
    {
        var weightMap = ReadWeightMap(indexPath);
        var shardByFileName = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        var fileOfTensor = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        foreach (var (tensorName, shardFileName) in weightMap)
        {
            if (!shardByFileName.TryGetValue(shardFileName, out var shard))
            {
                // A bare file name keeps the index from pointing outside the model folder.
                if (Path.GetFileName(shardFileName) != shardFileName || shardFileName.Length == 0)
                    throw new InvalidModelException($"Index '{indexPath}' maps tensor '{tensorName}' to '{shardFileName}', which is not a file name in the model folder.");
                var shardPath = Path.Combine(folder, shardFileName);
                if (!File.Exists(shardPath))
                    throw new InvalidModelException($"Index '{indexPath}' lists shard '{shardFileName}' (for tensor '{tensorName}'), but '{shardPath}' does not exist.");
                shard = SafeTensorsFile.Open(shardPath);
                files.Add(shard);
                shardByFileName.Add(shardFileName, shard);
            }
            if (!shard.Contains(tensorName))
                throw new InvalidModelException($"Index '{indexPath}' places tensor '{tensorName}' in '{shard.Path}', which does not contain it.");
            fileOfTensor.Add(tensorName, shard);
        }
        return fileOfTensor;
    }

    private static Dictionary<string, string> ReadWeightMap(string indexPath)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var weightMap)
                || weightMap.ValueKind != JsonValueKind.Object)
                throw new InvalidModelException($"Index '{indexPath}' has no \"weight_map\" object.");

            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in weightMap.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new InvalidModelException($"Index '{indexPath}' maps tensor '{entry.Name}' to something other than a file name.");
                if (!map.TryAdd(entry.Name, entry.Value.GetString()!))
                    throw new InvalidModelException($"Index '{indexPath}' lists tensor '{entry.Name}' twice.");
            }
            if (map.Count == 0)
                throw new InvalidModelException($"Index '{indexPath}' has an empty \"weight_map\".");
            return map;
        }
        catch (JsonException e)
        {
            throw new InvalidModelException($"Index '{indexPath}' is not well-formed JSON ({e.Message}).", e);
        }
    }

    private static Dictionary<string, SafeTensorsFile> OpenAllFiles(string folder, List<SafeTensorsFile> files)
    {
        var paths = Directory.GetFiles(folder, "*.safetensors").Order(StringComparer.Ordinal).ToList();
        if (paths.Count == 0)
            throw new InvalidModelException($"Model folder '{folder}' contains no *.safetensors file.");

        var fileOfTensor = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var file = SafeTensorsFile.Open(path);
            files.Add(file);
            foreach (var name in file.Tensors.Keys)
            {
                if (!fileOfTensor.TryAdd(name, file))
                    throw new InvalidModelException($"Tensor '{name}' is in both '{fileOfTensor[name].Path}' and '{path}', and there is no {IndexFileName} to choose.");
            }
        }
        return fileOfTensor;
    }
}
