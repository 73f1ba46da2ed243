using System.Runtime.CompilerServices;
using System.Threading.Channels;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Generation;

/// <summary>Streams generations of a loaded model; the token loop runs on the torch worker, chunks arrive through a channel.</summary>
public sealed class TextGenerator(TorchWorker worker, LoadedModel model)
{
    public LoadedModel Model => model;

    public IAsyncEnumerable<GenerationChunk> GenerateAsync(string prompt, GenerationOptions options, CancellationToken cancellationToken = default) =>
        GenerateAsync(model.Tokenizer.Encode(prompt), options, cancellationToken);

    public async IAsyncEnumerable<GenerationChunk> GenerateAsync(IReadOnlyList<int> promptIds, GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options.Validate();
        // Linked so that a consumer that stops enumerating early also stops the loop.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Bounded, so the loop runs only a few tokens ahead of the reader and a cancellation lands promptly.
        var chunks = Channel.CreateBounded<GenerationChunk>(new BoundedChannelOptions(4) { SingleWriter = true, SingleReader = true });
        var job = worker.Run(() =>
        {
            try
            {
                GenerationLoop.Run(model, promptIds, options, chunk => chunks.Writer.WriteAsync(chunk).AsTask().GetAwaiter().GetResult(), stop.Token);
                chunks.Writer.TryComplete();
            }
            catch (Exception e) { chunks.Writer.TryComplete(e); }
        });
        try
        {
            await foreach (var chunk in chunks.Reader.ReadAllAsync(CancellationToken.None))
                yield return chunk;
        }
        finally
        {
            // A reader that left early must not leave the loop blocked on a full channel.
            stop.Cancel();
            while (await chunks.Reader.WaitToReadAsync()) chunks.Reader.TryRead(out _);
            await job;
        }
    }
}
