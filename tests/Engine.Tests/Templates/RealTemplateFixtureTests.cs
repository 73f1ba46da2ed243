using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using WebUI.Engine.Generation;

namespace WebUI.Engine.Tests.Templates;

/// <summary>
/// The chat templates of popular small models (Fixtures/NAME.jinja) render every case of Fixtures/NAME.cases.json
/// exactly as the reference renderer did, or fail where it raised. The cases were rendered by @huggingface/jinja
/// with Fixtures/render-reference.mjs; see Fixtures/README.md.
/// </summary>
public sealed class RealTemplateFixtureTests
{
    private static string FixturesDir([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "Fixtures");

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in Directory.GetFiles(FixturesDir(), "*.cases.json").Order(StringComparer.Ordinal))
        {
            using var fixture = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var c in fixture.RootElement.GetProperty("cases").EnumerateArray())
                data.Add(Path.GetFileName(file)[..^".cases.json".Length], c.GetProperty("name").GetString()!);
        }
        return data;
    }

    [Fact]
    public void Every_model_family_of_the_issue_has_a_fixture()
    {
        var names = Directory.GetFiles(FixturesDir(), "*.cases.json").Select(f => Path.GetFileName(f)[..^".cases.json".Length]).ToHashSet();
        Assert.Superset(new HashSet<string> { "smollm2", "smollm3", "qwen2.5", "qwen3", "llama3.1", "llama3.2", "phi3", "phi4", "gemma2", "gemma3", "mistral-instruct" }, names);
        Assert.All(names, n => Assert.True(File.Exists(Path.Combine(FixturesDir(), n + ".jinja")), n));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Renders_like_the_reference(string model, string caseName)
    {
        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixturesDir(), model + ".cases.json")));
        var root = fixture.RootElement;
        var c = root.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == caseName);
        var now = DateTime.Parse(root.GetProperty("now").GetString()!, CultureInfo.InvariantCulture);
        var template = ChatTemplate.FromJinja(model, File.ReadAllText(Path.Combine(FixturesDir(), root.GetProperty("template").GetString()!)),
            root.GetProperty("bos_token").GetString(), root.GetProperty("eos_token").GetString(), new TemplateLimits { Clock = new FixedClock(now) });
        ChatMessage[] messages = [.. c.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!))];
        bool addGenerationPrompt = c.GetProperty("add_generation_prompt").GetBoolean();

        if (c.TryGetProperty("error", out var error))
            Assert.Contains(error.GetString()!, Assert.Throws<TemplateException>(() => template.Render(messages, addGenerationPrompt)).Message);
        else
            Assert.Equal(c.GetProperty("expected").GetString(), template.Render(messages, addGenerationPrompt));
    }

    /// <summary>A clock whose local time is always <paramref name="local"/>, as the reference render's was.</summary>
    private sealed class FixedClock(DateTime local) : TimeProvider
    {
        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
        public override DateTimeOffset GetUtcNow() => new(DateTime.SpecifyKind(local, DateTimeKind.Utc));
    }
}
