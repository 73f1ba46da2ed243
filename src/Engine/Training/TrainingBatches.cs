using static TorchSharp.torch;

namespace WebUI.Engine.Training;

/// <summary>
/// The run's micro-batches in order: per epoch a seeded shuffle, grouped by length (sorted within windows of 50
/// micro-batches, then the batches shuffled) so little compute goes to padding. Fully determined by the seed,
/// which is what lets a resumed run continue exactly where the interrupted one stopped.
/// </summary>
public sealed class TrainingBatches
{
    private readonly IReadOnlyList<TrainingExample> examples;
    private readonly List<int[]> order = [];

    public TrainingBatches(IReadOnlyList<TrainingExample> examples, int microBatchSize, double epochs, int seed)
    {
        if (examples.Count == 0) throw new ArgumentException("the dataset produced no training examples");
        this.examples = examples;
        int perEpoch = (examples.Count + microBatchSize - 1) / microBatchSize;
        int total = Math.Max(1, (int)Math.Round(epochs * perEpoch));
        for (int epoch = 0; order.Count < total; epoch++)
            order.AddRange(Epoch(microBatchSize, new Random(HashCode.Combine(seed, epoch))));
        order.RemoveRange(total, order.Count - total);
        MicroBatchesPerEpoch = perEpoch;
    }

    public int Count => order.Count;
    public int MicroBatchesPerEpoch { get; }

    private List<int[]> Epoch(int size, Random random)
    {
        var indices = Enumerable.Range(0, examples.Count).ToArray();
        random.Shuffle(indices);
        var batches = new List<int[]>();
        foreach (var window in indices.Chunk(size * 50))
            batches.AddRange(window.OrderByDescending(i => examples[i].InputIds.Length).Chunk(size));
        var shuffled = batches.ToArray();
        random.Shuffle(shuffled);
        return [.. shuffled];
    }

    /// <summary>Positions whose next token is predicted in micro-batch <paramref name="index"/>.</summary>
    public long TargetCount(int index) => order[index].Sum(i => (long)examples[i].Targets.Skip(1).Count(t => t));

    /// <summary>Input ids [batch, longest] right-padded with <paramref name="padId"/>, and the target mask of the same shape.</summary>
    public (Tensor Ids, Tensor Targets, long TargetCount, long TokenCount) Tensors(int index, int padId, Device device)
    {
        var batch = order[index].Select(i => examples[i]).ToList();
        int length = batch.Max(e => e.InputIds.Length);
        var ids = new long[batch.Count * length];
        var targets = new bool[batch.Count * length];
        Array.Fill(ids, padId);
        long tokens = 0;
        for (int row = 0; row < batch.Count; row++)
        {
            var e = batch[row];
            for (int t = 0; t < e.InputIds.Length; t++)
            {
                ids[row * length + t] = e.InputIds[t];
                targets[row * length + t] = t > 0 && e.Targets[t];
            }
            tokens += e.InputIds.Length;
        }
        return (tensor(ids, [batch.Count, length], device: device), tensor(targets, [batch.Count, length], device: device),
            targets.LongCount(b => b), tokens);
    }

    /// <summary>Fixed-order micro-batches of a dataset (evaluation).</summary>
    public static TrainingBatches Sequential(IReadOnlyList<TrainingExample> examples, int microBatchSize) => new(examples, microBatchSize);

    private TrainingBatches(IReadOnlyList<TrainingExample> examples, int microBatchSize)
    {
        this.examples = examples;
        order.AddRange(Enumerable.Range(0, examples.Count).Chunk(microBatchSize));
        MicroBatchesPerEpoch = order.Count;
    }
}
