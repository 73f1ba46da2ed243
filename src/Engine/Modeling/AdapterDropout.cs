using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>
/// Adapter dropout for the calling thread, drawing from a generator the training run owns. Thread-local rather
/// than the module's train/eval flag (which is shared), so the chat thread on the same modules never drops out;
/// and a private generator, so its masks are reproducible whatever else uses torch's global random state.
/// </summary>
public static class AdapterDropout
{
    [ThreadStatic] private static Generator? generator;

    /// <summary>The generator dropout draws from on this thread, or null when dropout is off.</summary>
    public static Generator? Random => generator;

    /// <summary>Dropout on this thread draws from <paramref name="random"/> until disposed; null turns it off (evaluation).</summary>
    public static IDisposable Use(Generator? random)
    {
        var previous = generator;
        generator = random;
        return new Restore(previous);
    }

    public static Tensor Apply(Tensor x, double probability)
    {
        if (generator is null || probability <= 0) return x;
        using var scope = NewDisposeScope();
        var keep = rand(x.shape, dtype: x.dtype, device: x.device, generator: generator).ge_(TorchScalars.Of(probability));
        return x.mul(keep).div(TorchScalars.Of(1 - probability)).MoveToOuterDisposeScope();
    }

    private sealed class Restore(Generator? previous) : IDisposable
    {
        public void Dispose() => generator = previous;
    }
}
