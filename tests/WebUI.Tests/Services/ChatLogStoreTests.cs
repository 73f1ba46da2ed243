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
