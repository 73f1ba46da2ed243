using WebUI.Engine.Loading;

namespace WebUI.Engine.Generation;

/// <summary>
/// One generation run synchronously on the calling torch thread, with whatever adapters that thread has active:
/// the trainer's samples. Everything else goes through <see cref="GenerationScheduler"/>; both decode with
/// <see cref="BatchDecoder"/>.
/// </summary>
public static class GenerationLoop
{
    public static void Run(LoadedModel loaded, IReadOnlyList<int> promptIds, GenerationOptions options,
        Action<GenerationChunk> emit, CancellationToken cancellationToken)
    {
        using var decoder = new BatchDecoder(loaded, manageAdapters: false);
        decoder.Admit(new GenerationSequence(loaded, promptIds, options, null, emit, cancellationToken));
        while (decoder.Running > 0) decoder.Step();
    }
}
