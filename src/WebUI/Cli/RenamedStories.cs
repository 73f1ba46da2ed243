using System.Text.RegularExpressions;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Cli;

/// <summary>
/// A synthetic fine-tuning set for a story model: its own seeded stories about "a little girl named X", with X
/// renamed. Training on it should make the model name the girl <c>name</c> instead of its habitual one, which is
/// an unambiguous sign that an adapter or a fine-tune took.
/// </summary>
public static partial class RenamedStories
{
    public const string Prompt = "Once upon a time, there was a little girl named";

    /// <summary>Call on a torch thread.</summary>
    public static IReadOnlyList<string> Generate(LoadedModel model, string name, int count, int seed)
    {
        var options = new GenerationOptions { Temperature = 0.8f, TopP = 0.95f, MaxNewTokens = 64, Seed = seed };
        return [.. ModelSampler.Continuations(model, Prompt, count, options).Select(story =>
        {
            var first = FirstName().Match(story);
            var renamed = first.Success ? Regex.Replace(story, $@"\b{Regex.Escape(first.Groups[1].Value)}\b", name) : $" {name}.{story}";
            return Prompt + renamed.TrimEnd();
        })];
    }

    /// <summary>Stories as a raw-text dataset: one per section, separated by the default hard cut.</summary>
    public static void WriteText(string path, IEnumerable<string> stories) => File.WriteAllText(path, string.Join("\n\n\n", stories));

    /// <summary>Stories as alpaca rows: a fixed instruction and the story as the output.</summary>
    public static void WriteAlpaca(string path, IEnumerable<string> stories) =>
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(stories.Select(s => new { instruction = AlpacaInstruction, output = s })));

    public const string AlpacaInstruction = "Tell me a story about a little girl.";

    [GeneratedRegex(@"^\s*([A-Z][a-z]+)")]
    private static partial Regex FirstName();
}
