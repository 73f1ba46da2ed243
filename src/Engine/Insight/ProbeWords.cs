using System.Text.RegularExpressions;

namespace WebUI.Engine.Insight;

/// <summary>
/// Default probes: the words a run's dataset uses much more often than the reference text, by the ratio of their
/// add-one smoothed relative frequencies (a word must occur at least three times in the dataset).
/// </summary>
public static partial class ProbeWords
{
    public static IReadOnlyList<string> MostShifted(string dataset, string reference, int count = 5)
    {
        var inData = Count(dataset);
        var inReference = Count(reference);
        double dataTotal = inData.Values.Sum(), referenceTotal = inReference.Values.Sum();
        double vocabulary = inData.Keys.Union(inReference.Keys).Count();
        return
        [
            .. inData.Where(w => w.Value >= 3)
                .Select(w => (Word: w.Key, Score: Math.Log((w.Value + 1) / (dataTotal + vocabulary))
                    - Math.Log((inReference.GetValueOrDefault(w.Key) + 1) / (referenceTotal + vocabulary))))
                .OrderByDescending(w => w.Score).ThenBy(w => w.Word, StringComparer.Ordinal)
                .Take(count).Select(w => w.Word),
        ];
    }

    private static Dictionary<string, int> Count(string text)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Match word in Word().Matches(text)) counts[word.Value] = counts.GetValueOrDefault(word.Value) + 1;
        return counts;
    }

    [GeneratedRegex(@"\p{L}[\p{L}']*")]
    private static partial Regex Word();
}
