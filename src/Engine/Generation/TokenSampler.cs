namespace WebUI.Engine.Generation;

/// <summary>
/// Picks the next token from the last position's logits, in HF transformers' order: repetition penalty, then argmax
/// at temperature 0, else temperature, top-k, top-p, min-p and a draw from what is left. Use one sampler per
/// generation: with a seed, the same logits give the same tokens.
/// </summary>
/// <remarks>
/// Runs once per generated token over a 50k-150k vocabulary, so it never sorts the whole vocabulary: top-k keeps a
/// k-sized heap; otherwise tokens that provably cannot survive top-p/min-p are dropped by comparing logits, and
/// only the candidates near the nucleus are sorted.
/// Work is done on weights w = exp((logit - max) / T), the probabilities up to a common factor (the best token has 1).
/// </remarks>
public sealed class TokenSampler
{
    private const int Octaves = 64;
    private readonly GenerationOptions _options;
    private readonly Random _random;
    // Scratch reused across calls, so steady-state sampling does not allocate.
    private readonly HashSet<int> _penalised = [];
    private readonly PriorityQueue<int, float> _topK = new();
    private int[] _ids = [];         // candidate token ids ...
    private float[] _weights = [];   // ... and their weights

    public TokenSampler(GenerationOptions options)
    {
        _options = options.Validate();
        _random = options.Seed is long seed and >= 0
            ? new Random(unchecked((int)seed ^ (int)(seed >> 32)))
            : new Random();
    }

    /// <summary>
    /// Chooses a token. <paramref name="logits"/> is modified in place (penalties); <paramref name="previousTokens"/>
    /// are the prompt and generated ids so far, for the repetition penalty; the ones from <paramref name="promptLength"/>
    /// on are the generated ones, for the presence and frequency penalties.
    /// </summary>
    public int Next(Span<float> logits, IReadOnlyList<int> previousTokens, int promptLength = 0)
    {
        if (logits.IsEmpty) throw new ArgumentException("no logits to sample from", nameof(logits));
        if (_options.RepetitionPenalty != 1f) ApplyRepetitionPenalty(logits, previousTokens);
        if (_options.PresencePenalty != 0f || _options.FrequencyPenalty != 0f) ApplyOpenAiPenalties(logits, previousTokens, promptLength);
        return _options.Temperature == 0f ? ArgMax(logits) : Sample(logits);
    }

    /// <summary>CTRL-style, once per distinct token: shrinks positive logits and pushes negative ones further down.</summary>
    private void ApplyRepetitionPenalty(Span<float> logits, IReadOnlyList<int> previousTokens)
    {
        float penalty = _options.RepetitionPenalty;
        _penalised.Clear();
        foreach (int id in previousTokens)
        {
            if ((uint)id >= (uint)logits.Length)
                throw new ArgumentOutOfRangeException(nameof(previousTokens), $"token id {id} is outside the {logits.Length} logits");
            if (!_penalised.Add(id)) continue;
            logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
        }
    }

    /// <summary>OpenAI's formula: logit -= count · frequency_penalty + (count > 0) · presence_penalty, over generated tokens.</summary>
    private void ApplyOpenAiPenalties(Span<float> logits, IReadOnlyList<int> previousTokens, int promptLength)
    {
        _penalised.Clear();
        for (int i = promptLength; i < previousTokens.Count; i++)
        {
            int id = previousTokens[i];
            if ((uint)id >= (uint)logits.Length)
                throw new ArgumentOutOfRangeException(nameof(previousTokens), $"token id {id} is outside the {logits.Length} logits");
            logits[id] -= _options.FrequencyPenalty;
            if (_penalised.Add(id)) logits[id] -= _options.PresencePenalty;
        }
    }

    /// <summary>Index of the largest logit; the lowest index wins ties.</summary>
    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    private int Sample(ReadOnlySpan<float> logits)
    {
        float max = logits[ArgMax(logits)];
        float inverseTemperature = 1f / _options.Temperature;
        // min-p keeps w >= min_p. It applies last, but as its survivors are the best tokens down to a threshold,
        // cutting at that threshold first leaves the same set.
        float minPFloor = LogitFloor(max, _options.MinP);

        int count;
        double nucleusMass; // what top-p's cumulative probability is measured against
        if (_options.TopK > 0 && _options.TopK < logits.Length)
        {
            (count, nucleusMass) = GatherTopK(logits, max, inverseTemperature, minPFloor);
        }
        else
        {
            // A nucleus member has probability > (1 - top_p) / V: the tokens ranked at or below it hold more than
            // 1 - top_p of the mass, and there are at most V of them. Halved for float slack; 0 when top-p is off.
            float nucleusBound = 0.5f * (1f - _options.TopP) / logits.Length;
            count = GatherAtLeast(logits, Math.Max(minPFloor, LogitFloor(max, nucleusBound)), max, inverseTemperature);
            nucleusMass = _options.TopP < 1f ? TotalWeight(logits, max, inverseTemperature) : 0;
        }

        if (_options.TopP < 1f) count = NucleusCount(count, _options.TopP * nucleusMass);
        return Draw(count);
    }

    /// <summary>The logit whose weight is <paramref name="minWeight"/>; -inf when that is 0, so nothing is cut.</summary>
    private float LogitFloor(float max, float minWeight) =>
        minWeight > 0f ? max + _options.Temperature * MathF.Log(minWeight) : float.NegativeInfinity;

    private static float Weight(float logit, float max, float inverseTemperature) => MathF.Exp((logit - max) * inverseTemperature);

    /// <summary>
    /// Fills the scratch with those of the k best tokens that pass min-p, and returns them with the weight of all k,
    /// which top-p renormalises against.
    /// </summary>
    private (int Count, double Mass) GatherTopK(ReadOnlySpan<float> logits, float max, float inverseTemperature, float minPFloor)
    {
        int k = _options.TopK;
        _topK.Clear();
        for (int i = 0; i < k; i++) _topK.Enqueue(i, logits[i]);
        _topK.TryPeek(out _, out float smallest);
        for (int i = k; i < logits.Length; i++)
        {
            if (logits[i] <= smallest) continue;
            _topK.DequeueEnqueue(i, logits[i]);
            _topK.TryPeek(out _, out smallest);
        }

        EnsureCandidateScratch(k);
        int count = 0;
        double mass = 0;
        foreach ((int id, float logit) in _topK.UnorderedItems)
        {
            float weight = Weight(logit, max, inverseTemperature);
            mass += weight;
            if (logit < minPFloor) continue;
            _ids[count] = id;
            _weights[count++] = weight;
        }
        return (count, mass);
    }

    /// <summary>Fills the scratch with every token whose logit is at least <paramref name="floor"/>.</summary>
    private int GatherAtLeast(ReadOnlySpan<float> logits, float floor, float max, float inverseTemperature)
    {
        EnsureCandidateScratch(logits.Length);
        int count = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (logits[i] < floor) continue;
            _ids[count] = i;
            _weights[count++] = Weight(logits[i], max, inverseTemperature);
        }
        return count;
    }

    private static double TotalWeight(ReadOnlySpan<float> logits, float max, float inverseTemperature)
    {
        double total = 0;
        foreach (float logit in logits) total += Weight(logit, max, inverseTemperature);
        return total;
    }

    /// <summary>
    /// Puts the nucleus (the fewest best candidates reaching <paramref name="targetMass"/>, at least one) first and
    /// returns its size. Sorting all candidates can mean thousands on a flat distribution, so candidates are first
    /// bucketed by octave below the best token, and only the buckets needed to reach the target are sorted.
    /// </summary>
    private int NucleusCount(int count, double targetMass)
    {
        Span<double> octaveMass = stackalloc double[Octaves];
        octaveMass.Clear();
        for (int j = 0; j < count; j++) octaveMass[Octave(_weights[j])] += _weights[j];

        int lastOctave = 0;
        for (double cumulativeMass = octaveMass[0]; cumulativeMass < targetMass && lastOctave < Octaves - 1;)
            cumulativeMass += octaveMass[++lastOctave];

        int kept = 0;
        for (int j = 0; j < count; j++)
        {
            if (Octave(_weights[j]) > lastOctave) continue;
            (_ids[kept], _ids[j]) = (_ids[j], _ids[kept]);
            (_weights[kept], _weights[j]) = (_weights[j], _weights[kept]);
            kept++;
        }

        _weights.AsSpan(0, kept).Sort(_ids.AsSpan(0, kept), static (a, b) => b.CompareTo(a));
        double cumulative = 0;
        for (int j = 0; j < kept; j++)
        {
            cumulative += _weights[j];
            if (cumulative >= targetMass) return j + 1;
        }
        return kept; // min-p (or float rounding) already cut below the nucleus
    }

    /// <summary>How many halvings below 1 a weight in (0, ~1] is, read off its float exponent; the last octave takes the rest.</summary>
    private static int Octave(float weight) => Math.Clamp(127 - (BitConverter.SingleToInt32Bits(weight) >> 23), 0, Octaves - 1);

    /// <summary>Draws one of the first <paramref name="count"/> candidates in proportion to its weight.</summary>
    private int Draw(int count)
    {
        double total = 0;
        for (int j = 0; j < count; j++) total += _weights[j];

        double target = _random.NextDouble() * total;
        double cumulative = 0;
        for (int j = 0; j < count; j++)
        {
            cumulative += _weights[j];
            if (cumulative > target) return _ids[j];
        }
        return _ids[count - 1];
    }

    private void EnsureCandidateScratch(int size)
    {
        if (_ids.Length >= size) return;
        _ids = new int[size];
        _weights = new float[size];
    }
}
