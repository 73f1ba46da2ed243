using System.Text.Json;
using System.Text.RegularExpressions;
using WebUI.Components.Chat;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;

namespace WebUI.Services;

/// <summary>One turn as saved; finish reason and speed are kept for assistant turns so a reloaded chat shows them too.</summary>
public sealed record ChatLogMessage(string Role, string Content, string? FinishReason = null, double? TokensPerSecond = null);

/// <summary>
/// A saved conversation: logs/chat/ID.json, with the state that belongs to it: template, adapters (<see cref="Adapter"/>
/// is their label for people) and generation settings. Older logs without adapters or settings read as none and defaults.
/// <see cref="Revision"/> counts saves: a save must start from the revision on disk, so one tab never overwrites another's turns.
/// </summary>
public sealed record ChatLog(string Id, string Title, DateTime Created, DateTime Updated, string? Template, string? Adapter,
    IReadOnlyList<ChatLogMessage> Messages, IReadOnlyList<AdapterWeight>? Adapters = null, GenerationSettings? Settings = null, int Revision = 0);

/// <summary>A line of the conversation list; <see cref="Error"/> says why a file could not be read (it can still be deleted).</summary>
public sealed record ChatLogSummary(string Id, string Title, DateTime Updated, int MessageCount, string? Error);

/// <summary>
/// Conversations as JSON files, one per conversation, named by id only (never by user text), each written atomically
/// so a crash mid-save keeps the previous version.
/// </summary>
public sealed partial class ChatLogStore(string folder)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly Lock writeLock = new();

    public string Folder { get; } = folder;

    public static string NewId() => $"{DateTime.Now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>A title from the first user message, cut at a word near 60 characters.</summary>
    public static string TitleFor(IReadOnlyList<ChatLogMessage> messages)
    {
        var first = messages.FirstOrDefault(m => m.Role == "user")?.Content.ReplaceLineEndings(" ").Trim();
        if (string.IsNullOrEmpty(first)) return "New conversation";
        if (first.Length <= 60) return first;
        var cut = first.LastIndexOf(' ', 60);
        return first[..(cut > 20 ? cut : 60)] + "…";
    }

    public IReadOnlyList<ChatLogSummary> List()
    {
        if (!Directory.Exists(Folder)) return [];
        return [.. Directory.EnumerateFiles(Folder, "*.json")
            .Select(f => Path.GetFileNameWithoutExtension(f))
            .Where(IsValidId)
            .Select(Summarize)
            .OrderByDescending(s => s.Updated)];
    }

    public ChatLog Load(string id)
    {
        var log = JsonSerializer.Deserialize<ChatLog>(File.ReadAllText(PathOf(id)), Json)
            ?? throw new InvalidDataException($"chat log '{id}' is empty");
        // JSON of another shape deserializes with missing members as null; refuse it here rather than fail later.
        if (log.Messages is null || log.Title is null) throw new InvalidDataException($"chat log '{id}' is not a chat log (no title or messages)");
        return log with { Id = id };
    }

    /// <summary>
    /// Writes <paramref name="log"/> as the next revision and returns what was saved. When another tab saved the
    /// conversation since <paramref name="log"/> was read, it is saved as a new conversation instead (a new id,
    /// "(copy)" in the title), so neither tab's turns are lost; the caller sees the changed id.
    /// </summary>
    public ChatLog Save(ChatLog log)
    {
        Directory.CreateDirectory(Folder);
        lock (writeLock)
        {
            if (File.Exists(PathOf(log.Id)) && StoredRevision(log.Id) != log.Revision)
                log = log with { Id = NewId(), Title = log.Title + " (copy)", Revision = 0 };
            var saved = log with { Revision = log.Revision + 1 };
            AtomicFile.WriteAllText(PathOf(saved.Id), JsonSerializer.Serialize(saved, Json));
            return saved;
        }
    }

    // Null for an unreadable file, which is then kept as it is (the conversation goes to a new file).
    private int? StoredRevision(string id)
    {
        try { return Load(id).Revision; }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException) { return null; }
    }

    public void Delete(string id)
    {
        lock (writeLock) File.Delete(PathOf(id));
    }

    public string PathOf(string id) =>
        IsValidId(id) ? Path.Combine(Folder, id + ".json") : throw new ArgumentException($"'{id}' is not a chat log id");

    private ChatLogSummary Summarize(string id)
    {
        try
        {
            var log = Load(id);
            return new ChatLogSummary(id, log.Title, log.Updated, log.Messages.Count, null);
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException)
        {
            return new ChatLogSummary(id, id, File.GetLastWriteTime(PathOf(id)), 0, $"unreadable: {e.Message}");
        }
    }

    private static bool IsValidId(string id) => IdPattern().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,80}$")]
    private static partial Regex IdPattern();
}
