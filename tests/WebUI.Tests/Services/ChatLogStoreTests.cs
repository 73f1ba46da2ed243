using System.Text.Json;
using WebUI.Services;

namespace WebUI.Tests.Services;

public sealed class ChatLogStoreTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "chatlogs-" + Guid.NewGuid().ToString("N"));

    public void Dispose() { if (Directory.Exists(folder)) Directory.Delete(folder, true); }

    public static TheoryData<string, byte[]> Corrupt => new()
    {
        { "truncated", "{\"title\":\"Hi\",\"messages\":[{\"role\":\"us"u8.ToArray() },
        { "garbage", [0xFF, 0x00, 0xFE, 0x13, 0x37, 0x80, 0x00] },
        { "empty", [] },
        { "array", "[1,2,3]"u8.ToArray() },
        { "wrongshape", "{\"foo\":1}"u8.ToArray() },
        { "nullliteral", "null"u8.ToArray() },
    };

    [Fact]
    public void A_save_from_an_older_revision_goes_to_a_new_conversation_and_the_newer_one_stays()
    {
        var store = new ChatLogStore(folder);
        var now = DateTime.UtcNow;
        var read = store.Save(new ChatLog("talk", "Talk", now, now, null, null, [new ChatLogMessage("user", "hello")]));
        Assert.Equal(1, read.Revision);
        var newer = store.Save(read with { Messages = [.. read.Messages, new ChatLogMessage("user", "from tab A")] });
        Assert.Equal(("talk", 2), (newer.Id, newer.Revision));

        var stale = store.Save(read with { Messages = [.. read.Messages, new ChatLogMessage("user", "from tab B")] });

        Assert.NotEqual("talk", stale.Id);
        Assert.Equal("Talk (copy)", stale.Title);
        Assert.Equal("from tab A", store.Load("talk").Messages[^1].Content);
        Assert.Equal("from tab B", store.Load(stale.Id).Messages[^1].Content);
    }

    [Fact]
    public void A_save_never_replaces_an_unreadable_file()
    {
        var store = new ChatLogStore(folder);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "talk.json"), [0xFF, 0x00]);

        var saved = store.Save(new ChatLog("talk", "Talk", DateTime.UtcNow, DateTime.UtcNow, null, null, [new ChatLogMessage("user", "hi")]));

        Assert.NotEqual("talk", saved.Id);
        Assert.Equal([0xFF, 0x00], File.ReadAllBytes(Path.Combine(folder, "talk.json")));
    }

    [Theory]
    [MemberData(nameof(Corrupt))]
    public void ACorruptLog_IsReportedAndTheGoodOneStillLoads(string id, byte[] bytes)
    {
        var store = new ChatLogStore(folder);
        var now = DateTime.UtcNow;
        store.Save(new ChatLog("good", "Good one", now, now, null, null, [new ChatLogMessage("user", "hello")]));
        File.WriteAllBytes(Path.Combine(folder, id + ".json"), bytes);

        var list = store.List();

        Assert.Equal(2, list.Count);
        var bad = Assert.Single(list, s => s.Id == id);
        Assert.NotNull(bad.Error);
        var good = Assert.Single(list, s => s.Id == "good");
        Assert.Null(good.Error);
        Assert.Equal("hello", store.Load("good").Messages.Single().Content);
        var e = Record.Exception(() => store.Load(id));
        Assert.True(e is JsonException or InvalidDataException, $"Load threw {e?.GetType().Name}");
        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(folder, id + ".json"))); // nothing overwritten
    }
}
