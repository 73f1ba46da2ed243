using System.Text.Json;

namespace WebUI.Engine.Training;

/// <summary>
/// A training/formats/*.json file, with text-generation-webui's semantics: each key is a comma-separated set of
/// field names, and a row is rendered by the template whose set equals the row's non-empty string fields (in any
/// order), with every <c>%field%</c> replaced by the field's value.
/// </summary>
internal sealed class FormatFile
{
    private sealed record Template(string Key, HashSet<string> Fields, string Text);

    private readonly List<Template> _templates;
    private readonly string _name;

    private FormatFile(string name, List<Template> templates) => (_name, _templates) = (name, templates);

    public static FormatFile Load(string path)
    {
        var name = Path.GetFileName(path);
        if (!File.Exists(path)) throw new DatasetException($"{path}: format file not found");
        var root = DatasetFile.ParseJson(File.ReadAllText(path), name);
        if (root.ValueKind != JsonValueKind.Object)
            throw new DatasetException($"{name}: expected an object of \"field,field\": \"template\" entries, not {DatasetFile.Describe(root)}");
        var templates = new List<Template>();
        foreach (var entry in root.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new DatasetException($"{name}: the template of \"{entry.Name}\" is {DatasetFile.Describe(entry.Value)}, expected a string");
            // Spaces around names are forgiven ("instruction, output"), since they cannot be meant as part of a field name.
            var fields = entry.Name.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            templates.Add(new Template(entry.Name, fields, entry.Value.GetString()!));
        }
        if (templates.Count == 0) throw new DatasetException($"{name} has no templates");
        return new FormatFile(name, templates);
    }

    /// <summary>The row rendered by its template; a row no key set matches is an error naming its fields.</summary>
    public string Render(DatasetRow row)
    {
        var strings = row.Value.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String)
            .Select(p => (p.Name, Value: p.Value.GetString()!)).ToList();
        var present = strings.Where(s => s.Value.Trim().Length > 0).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var template = _templates.FirstOrDefault(t => t.Fields.SetEquals(present))
            ?? throw new DatasetException($"{row.File}: {row.Where} has fields {{{string.Join(", ", present)}}}: no key set in {_name} matches " +
                $"(available: {string.Join("; ", _templates.Select(t => t.Key))})");
        var text = template.Text;
        foreach (var (field, value) in strings) text = text.Replace($"%{field}%", value, StringComparison.Ordinal);
        return text;
    }
}
