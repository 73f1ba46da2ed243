using System.Text.Json;

namespace WebUI.Engine.Training;

/// <summary>One object of a .json list or .jsonl file; messages name it as "<see cref="File"/>: <see cref="Where"/>".</summary>
internal sealed record DatasetRow(string File, int Number, string Where, JsonElement Value);

/// <summary>
/// Reads dataset files: a .txt as text, a .json as a list of objects, a .jsonl as one object per line. Every error
/// is a <see cref="DatasetException"/> naming the file and where in it.
/// </summary>
internal static class DatasetFile
{
    public static string ReadText(string path)
    {
        var text = File.ReadAllText(Existing(path));
        if (text.Trim().Length == 0) throw new DatasetException($"{Path.GetFileName(path)} is empty");
        return text;
    }

    public static IReadOnlyList<DatasetRow> ReadRows(string path)
    {
        var name = Path.GetFileName(path);
        var rows = Path.GetExtension(path).Equals(".jsonl", StringComparison.OrdinalIgnoreCase) ? ReadJsonLines(path, name) : ReadJsonList(path, name);
        if (rows.Count == 0) throw new DatasetException($"{name} has no rows");
        return rows;
    }

    private static List<DatasetRow> ReadJsonList(string path, string name)
    {
        var root = ParseJson(File.ReadAllText(Existing(path)), name);
        if (root.ValueKind != JsonValueKind.Array)
            throw new DatasetException($"{name}: expected a list of rows ([{{...}}, ...]) but the file holds {Describe(root)}");
        var rows = new List<DatasetRow>(root.GetArrayLength());
        foreach (var element in root.EnumerateArray())
        {
            var where = $"row {rows.Count + 1}";
            if (element.ValueKind != JsonValueKind.Object) throw new DatasetException($"{name}: {where} is {Describe(element)}, expected an object");
            rows.Add(new DatasetRow(name, rows.Count + 1, where, element));
        }
        return rows;
    }

    private static List<DatasetRow> ReadJsonLines(string path, string name)
    {
        var rows = new List<DatasetRow>();
        int line = 0;
        foreach (var text in File.ReadLines(Existing(path)))
        {
            line++;
            if (text.Trim().Length == 0) continue;  // blank lines (a trailing newline) are not rows
            var element = ParseJson(text, name, lineOffset: line - 1);
            var where = rows.Count + 1 == line ? $"row {line}" : $"row {rows.Count + 1} (line {line})";
            if (element.ValueKind != JsonValueKind.Object) throw new DatasetException($"{name}: line {line} is {Describe(element)}, expected an object");
            rows.Add(new DatasetRow(name, rows.Count + 1, where, element));
        }
        return rows;
    }

    /// <summary>The parsed root, detached from its document so nothing needs disposing; lineOffset places a .jsonl line.</summary>
    public static JsonElement ParseJson(string json, string name, int lineOffset = 0)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            // JsonException's message repeats the position as "Path: ... | LineNumber: ..."; say it once, 1-based.
            var reason = e.Message.Split(" Path: ")[0].Split(" LineNumber: ")[0].TrimEnd();
            throw new DatasetException($"{name}: invalid JSON at line {lineOffset + (e.LineNumber ?? 0) + 1}, position {(e.BytePositionInLine ?? 0) + 1}: {reason}");
        }
    }

    private static string Existing(string path) =>
        File.Exists(path) ? path : throw new DatasetException($"{path}: dataset file not found");

    public static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Null => "null",
        _ => "a boolean",
    };
}
