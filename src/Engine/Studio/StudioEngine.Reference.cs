using System.Text.Json.Nodes;

namespace WebUI.Engine.Studio;

/// <summary>
/// The reference text forgetting is measured on, chosen once for the studio (a file in training/datasets): new runs
/// start with it, and a run inspected without one of its own is measured on it. Kept in training/reference.json.
/// </summary>
public sealed partial class StudioEngine
{
    private string ReferenceSettingPath => Path.Combine(Paths.Root, "training", "reference.json");

    /// <summary>The chosen reference text's name in training/datasets, or null when none is chosen (or it is gone).</summary>
    public string? DefaultReferenceText
    {
        get
        {
            try
            {
                var name = File.Exists(ReferenceSettingPath) ? JsonNode.Parse(File.ReadAllText(ReferenceSettingPath))?["reference_text"]?.GetValue<string>() : null;
                return name is not null && StudioPaths.IsPlainName(name) && File.Exists(Path.Combine(Paths.Datasets, name)) ? name : null;
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or IOException or InvalidOperationException)
            {
                return null;
            }
        }
    }

    /// <summary>Chooses the studio's reference text (a file in training/datasets), or none.</summary>
    public void SetDefaultReferenceText(string? name)
    {
        if (name is not null && !File.Exists(StudioPaths.Inside(Paths.Datasets, name)))
            throw new FileNotFoundException($"reference text {name} is not in {Paths.Datasets}");
        Directory.CreateDirectory(Path.GetDirectoryName(ReferenceSettingPath)!);
        Loading.AtomicFile.WriteAllText(ReferenceSettingPath, new JsonObject { ["reference_text"] = name }.ToJsonString());
        RaiseChanged();
    }
}
