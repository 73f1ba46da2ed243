using WebUI.Engine.Studio;

namespace WebUI.Engine.Tests;

public sealed class StudioPathsTests
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "studio-paths-test", "loras");

    public static TheoryData<string> Hostile => new()
    {
        "", " ", "\t", "  name", "name ", ".", "..", "../x", "..\\x", "a/../../b", "a/b", "/etc/passwd", "C:\\Windows", "\\\\server\\share",
        "%2e%2e", "%2e%2e%2Fx", "a%2Fb", "..%2F..%2Fetc", "a\\b", "a\0b", "\0", ".hidden", "~/x", "a:b", "a\nb",
        new string('a', 300), new string('a', 129),
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void HostileNames_AreRefused(string name)
    {
        Assert.False(StudioPaths.IsPlainName(name));
        Assert.Throws<ArgumentException>(() => StudioPaths.Inside(Folder, name));
    }

    [Theory]
    [InlineData("my-lora")]
    [InlineData("run_2 (copy)")]
    [InlineData("model.v1+chat")]
    [InlineData("a")]
    public void PlainNames_StayDirectlyInsideTheFolder(string name)
    {
        Assert.True(StudioPaths.IsPlainName(name));
        var path = StudioPaths.Inside(Folder, name);
        Assert.Equal(Path.GetFullPath(Folder), Path.GetDirectoryName(Path.GetFullPath(path)));
        Assert.Equal(name, Path.GetFileName(path));
    }

    [Fact]
    public void A128CharacterName_IsStillAccepted() => Assert.True(StudioPaths.IsPlainName(new string('a', 128)));
}
