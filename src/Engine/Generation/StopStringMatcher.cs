namespace WebUI.Engine.Generation;

/// <summary>
/// Watches streamed text for stop strings. Text that could still turn into a stop string is held back until the next
/// piece decides it, so a stop string split over tokens ("#" then "##") never leaks to the client.
/// </summary>
public sealed class StopStringMatcher
{
    private readonly string[] _stopStrings;
    private readonly int _longestStop;
    private string _held = string.Empty;
    private bool _stopped;

    public StopStringMatcher(IReadOnlyList<string> stopStrings)
    {
        if (stopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("stop strings must not be empty", nameof(stopStrings));
        _stopStrings = [.. stopStrings];
        _longestStop = _stopStrings.Length == 0 ? 0 : _stopStrings.Max(s => s.Length);
    }

    /// <summary>Adds the next decoded piece. Once stopped, further pieces are swallowed.</summary>
    public StopScan Push(string piece)
    {
        if (_stopped) return new StopScan(string.Empty, true);
        string text = _held + piece;

        int stopAt = EarliestStop(text);
        if (stopAt >= 0)
        {
            _stopped = true;
            _held = string.Empty;
            return new StopScan(text[..stopAt], true);
        }

        int hold = HeldTailLength(text);
        _held = text[^hold..];
        return new StopScan(text[..^hold], false);
    }

    /// <summary>The held-back tail, at the end of generation; it never completed a stop string.</summary>
    public string Flush()
    {
        string rest = _held;
        _held = string.Empty;
        return rest;
    }

    private int EarliestStop(string text)
    {
        int earliest = -1;
        foreach (string stop in _stopStrings)
        {
            int at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (earliest < 0 || at < earliest)) earliest = at;
        }
        return earliest;
    }

    /// <summary>Length of the longest suffix of <paramref name="text"/> that begins some stop string.</summary>
    private int HeldTailLength(string text)
    {
        for (int length = Math.Min(text.Length, _longestStop - 1); length > 0; length--)
        {
            ReadOnlySpan<char> tail = text.AsSpan(text.Length - length);
            foreach (string stop in _stopStrings)
                if (stop.AsSpan().StartsWith(tail, StringComparison.Ordinal)) return length;
        }
        return 0;
    }
}
