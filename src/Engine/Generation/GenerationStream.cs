using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace WebUI.Engine.Generation;

/// <summary>
/// The chunks of one scheduled request. Cancelling (or leaving the stream) stops its sequence at the next decode
/// step, and the stream still ends with a chunk whose finish reason says so.
/// </summary>
public sealed class GenerationStream : IAsyncDisposable
{
    private readonly ChannelReader<GenerationChunk> chunks;
    private readonly CancellationTokenSource stop;

    internal GenerationStream(int promptTokens, ChannelReader<GenerationChunk> chunks, CancellationTokenSource stop)
    {
        PromptTokens = promptTokens;
        this.chunks = chunks;
        this.stop = stop;
    }

    public int PromptTokens { get; }

    public async IAsyncEnumerable<GenerationChunk> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var registration = cancellationToken.Register(stop.Cancel);
        try
        {
            await foreach (var chunk in chunks.ReadAllAsync(CancellationToken.None))
                yield return chunk;
        }
        finally
        {
            stop.Cancel();
        }
    }

    /// <summary>Stops the sequence if it still runs.</summary>
    public ValueTask DisposeAsync()
    {
        stop.Cancel();
        stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
