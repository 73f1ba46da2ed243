using System.Text.Json;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Training;

/// <summary>
/// A conversation row, <c>messages</c> [{role, content}] or ShareGPT <c>conversations</c> [{from, value}],
/// rendered by a chat template and tokenized segment by segment so that exactly the assistant turns (content and
/// end-of-turn marker) are trained on.
/// </summary>
internal sealed class ChatRowEncoder(ChatTemplate template, DatasetOptions options, ITextTokenizer tokenizer) : IRowEncoder
{
    private static readonly string[] Roles = ["system", "user", "assistant"];

    /// <summary>ShareGPT's speakers; "user" and "assistant" are accepted too, since many such files use them.</summary>
    private static readonly Dictionary<string, string> ShareGptRoles = new()
    {
        ["system"] = "system", ["human"] = "user", ["user"] = "user", ["gpt"] = "assistant", ["assistant"] = "assistant",
    };

    private readonly SegmentTokenizer _segments = new(tokenizer);

    public void Add(DatasetRow row, ExampleCollector collector)
    {
        var messages = Messages(row);
        if (!messages.Any(m => m.Role == "assistant"))
        {
            collector.Drop(row.Number, "dropped: no assistant message to train on");
            return;
        }
        IReadOnlyList<TemplateSegment> rendered;
        try
        {
            rendered = template.Segments(messages);
        }
        catch (TemplateException e)
        {
            throw Error(row, e.Message);
        }
        var (ids, trainable) = _segments.Encode(rendered);
        // Templates whose end-of-turn marker is the tokenizer's EOS (ChatML on SmolLM2) already end each turn with it.
        if (options.AddEos && messages[^1].Role == "assistant" && tokenizer.EosIds.Count > 0 && !ids.Any(tokenizer.EosIds.Contains))
        {
            ids.Add(tokenizer.EosIds[0]);
            trainable.Add(true);
        }
        collector.AddRow(row.Number, ids, trainable);
    }

    /// <summary>True when a row is a conversation rather than a formatted row.</summary>
    public static bool IsConversation(JsonElement row) => row.TryGetProperty("messages", out _) || row.TryGetProperty("conversations", out _);

    private static List<ChatMessage> Messages(DatasetRow row)
    {
        bool openAi = row.Value.TryGetProperty("messages", out var list);
        if (!openAi && !row.Value.TryGetProperty("conversations", out list))
            throw Error(row, "has neither \"messages\" nor \"conversations\"");
        var (field, roleField, contentField) = openAi ? ("messages", "role", "content") : ("conversations", "from", "value");
        if (list.ValueKind != JsonValueKind.Array) throw Error(row, $"\"{field}\" is {DatasetFile.Describe(list)}, expected a list");
        var messages = new List<ChatMessage>();
        foreach (var item in list.EnumerateArray())
        {
            var path = $"{field}[{messages.Count}]";
            if (item.ValueKind != JsonValueKind.Object) throw Error(row, $"{path} is {DatasetFile.Describe(item)}, expected an object");
            var speaker = StringField(row, item, path, roleField);
            var role = openAi ? (Roles.Contains(speaker) ? speaker : null) : ShareGptRoles.GetValueOrDefault(speaker);
            if (role is null)
                throw Error(row, $"{path}.{roleField} is \"{speaker}\"; expected one of {string.Join(", ", openAi ? Roles : ShareGptRoles.Keys)}");
            messages.Add(new ChatMessage(role, StringField(row, item, path, contentField)));
        }
        return messages;
    }

    private static string StringField(DatasetRow row, JsonElement item, string path, string name)
    {
        if (!item.TryGetProperty(name, out var value)) throw Error(row, $"{path} has no \"{name}\"");
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Error(row, $"{path}.{name} is {DatasetFile.Describe(value)}, expected a string");
    }

    private static DatasetException Error(DatasetRow row, string message) => new($"{row.File}: {row.Where}: {message}");
}
