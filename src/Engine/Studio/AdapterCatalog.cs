using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Studio;

/// <summary>What is on disk in loras/: read from adapter_config.json only, checked as loading would check it.</summary>
public static class AdapterCatalog
{
    public static IReadOnlyList<AdapterEntry> List(string lorasFolder)
    {
        if (!Directory.Exists(lorasFolder)) return [];
        return [.. Directory.GetDirectories(lorasFolder)
            .Where(d => !StagingNames.IsHiddenFromListings(d))
            .Order(StringComparer.OrdinalIgnoreCase).Select(Describe)];
    }

    private static AdapterEntry Describe(string folder)
    {
        var name = Path.GetFileName(folder);
        var files = Directory.EnumerateFiles(folder).ToList();
        long size = files.Sum(f => new FileInfo(f).Length);
        var modified = files.Count > 0 ? files.Max(File.GetLastWriteTime) : Directory.GetLastWriteTime(folder);
        try
        {
            var config = LoraAdapter.ReadConfig(folder);
            return new AdapterEntry(name, config.BaseModel, config.Rank, config.Alpha, config.TargetModules, size, modified, null);
        }
        catch (Exception e) when (e is InvalidModelException or IOException)
        {
            return new AdapterEntry(name, null, 0, 0, [], size, modified, $"not a usable adapter: {e.Message}");
        }
    }
}
