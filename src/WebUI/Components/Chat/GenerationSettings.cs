using System.Globalization;
using WebUI.Engine.Generation;

namespace WebUI.Components.Chat;

/// <summary>
/// The chat's sampling settings as the form edits them (any value may be typed, checked on use), and their
/// translation to <see cref="GenerationOptions"/>, whose own validation supplies the messages.
/// </summary>
public sealed class GenerationSettings
{
    public float Temperature { get; set; } = 0.7f;
    public float TopP { get; set; } = 0.9f;
    public int TopK { get; set; }
    public float MinP { get; set; }
    public float RepetitionPenalty { get; set; } = 1f;
    public int MaxNewTokens { get; set; } = 256;
    /// <summary>-1: a new random seed each time.</summary>
    public long Seed { get; set; } = -1;
    /// <summary>One stop string per line; \n and \t stand for a newline and a tab.</summary>
    public string StopStrings { get; set; } = "";

    public GenerationSettings Copy() => (GenerationSettings)MemberwiseClone();

    /// <summary>Takes every value of <paramref name="other"/> (a conversation's saved settings), keeping this instance, which the form edits.</summary>
    public void CopyFrom(GenerationSettings other)
    {
        (Temperature, TopP, TopK, MinP) = (other.Temperature, other.TopP, other.TopK, other.MinP);
        (RepetitionPenalty, MaxNewTokens, Seed, StopStrings) = (other.RepetitionPenalty, other.MaxNewTokens, other.Seed, other.StopStrings);
    }

    /// <summary>The options, or the reason they are invalid (which starts with the offending field's name, lower case).</summary>
    public (GenerationOptions? Options, string? Problem) Build()
    {
        var options = new GenerationOptions
        {
            Temperature = Temperature, TopP = TopP, TopK = TopK, MinP = MinP, RepetitionPenalty = RepetitionPenalty,
            MaxNewTokens = MaxNewTokens, Seed = Seed < 0 ? null : Seed, StopStrings = ParseStopStrings(StopStrings),
        };
        try
        {
            return (options.Validate(), null);
        }
        catch (ArgumentException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>The field's message when <paramref name="problem"/> is about it: GenerationOptions names the field first.</summary>
    public static string? ProblemFor(string? problem, string label) =>
        problem is not null && problem.StartsWith(label.ToLower(CultureInfo.InvariantCulture), StringComparison.Ordinal) ? problem : null;

    private static IReadOnlyList<string> ParseStopStrings(string text) =>
        [.. text.Split('\n').Select(line => line.TrimEnd('\r')).Where(line => line.Length > 0)
            .Select(line => line.Replace("\\n", "\n").Replace("\\t", "\t"))];
}
