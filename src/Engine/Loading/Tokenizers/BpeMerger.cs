namespace WebUI.Engine.Loading;

/// <summary>
/// The BPE merge loop every BPE tokenizer here shares: repeatedly merge the adjacent pair with the best (lowest)
/// priority, the leftmost one on ties, until no pair merges. Candidate pairs sit in a heap over a linked list of
/// symbols, so a long run without spaces (SentencePiece has no words to split on) costs O(n log n), not O(n²).
/// </summary>
internal sealed class BpeMerger(IReadOnlyDictionary<long, BpeMerger.Merge> merges)
{
    /// <summary>What a pair becomes and how early it merges (lower first).</summary>
    public readonly record struct Merge(int MergedId, int Priority);

    /// <summary>A pair as it was when pushed; it is stale once either side has changed.</summary>
    private readonly record struct Candidate(int Left, int Right, int LeftId, int RightId, int MergedId);

    public static long Key(int leftId, int rightId) => (long)leftId << 32 | (uint)rightId;

    public IReadOnlyDictionary<long, Merge> Merges { get; } = merges;

    /// <summary>Merges <paramref name="symbols"/> and appends the resulting ids to <paramref name="output"/>.</summary>
    public void MergeInto(List<int> symbols, List<int> output)
    {
        int n = symbols.Count;
        if (n < 2) { output.AddRange(symbols); return; }

        var ids = symbols.ToArray();
        var next = new int[n];
        var prev = new int[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1; prev[i] = i - 1; }

        // Positions never move, so (priority, left position) orders ties leftmost first.
        var heap = new PriorityQueue<Candidate, (int Priority, int Left)>();
        void Push(int left, int right)
        {
            if (Merges.TryGetValue(Key(ids[left], ids[right]), out var merge))
                heap.Enqueue(new Candidate(left, right, ids[left], ids[right], merge.MergedId), (merge.Priority, left));
        }
        for (int i = 0; i + 1 < n; i++) Push(i, i + 1);

        while (heap.TryDequeue(out var c, out _))
        {
            if (ids[c.Left] != c.LeftId || next[c.Left] != c.Right || ids[c.Right] != c.RightId) continue;
            ids[c.Left] = c.MergedId;
            ids[c.Right] = -1;
            next[c.Left] = next[c.Right];
            if (next[c.Left] < n) prev[next[c.Left]] = c.Left;
            if (prev[c.Left] >= 0) Push(prev[c.Left], c.Left);
            if (next[c.Left] < n) Push(c.Left, next[c.Left]);
        }
        for (int i = 0; i < n; i = next[i]) output.Add(ids[i]);
    }
}
