using TorchSharp;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using WebUI.Engine.Training;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests;

/// <summary>
/// TorchSharp frees the native Scalars it makes from C# numbers (an add's alpha, an epsilon) only in the GC's
/// finalizer, and does not keep them alive during the call: with collections running beside a forward pass (a
/// busy server) an op could read a freed Scalar. The model's passes and an optimizer step must not.
/// </summary>
public sealed class GarbageCollectionTests
{
    [Theory]
    [InlineData(ModelFamily.Llama)]
    [InlineData(ModelFamily.Gpt2)]
    public void Forward_backward_and_optimizer_steps_survive_collections_beside_them(ModelFamily family)
    {
        using var model = TinyModels.Create(family);
        using var adapter = LoraAdapter.CreateTrainable("gc", model.Model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.1 }, seed: 3, baseModel: "tiny");
        using var stack = new AdapterStack(model.Model);
        stack.Activate([(adapter, 0.5)]);
        using var optimizer = new AdamW([.. adapter.Weights.SelectMany(kv => new[] { ($"{kv.Key}.lora_A", kv.Value.A), ($"{kv.Key}.lora_B", kv.Value.B) })], weightDecay: 0.01);
        using var dropoutRandom = new Generator(5);
        using var ids = tensor(new long[] { 1, 5, 9, 2, 8, 3, 7, 4 }, [1, 8]);
        using var collecting = new Collections();

        for (int i = 0; i < 150; i++)
        {
            using var scope = NewDisposeScope();
            using (AdapterDropout.Use(dropoutRandom))
                model.Model.Forward(ids).sum().backward();
            optimizer.ClipGradients(1.0);
            optimizer.Step(1e-3);
            optimizer.ZeroGradients();
            using (no_grad()) model.Model.Forward(ids);
        }

        Assert.True(collecting.Count > 50, $"only {collecting.Count} collections ran beside the passes");
    }

    // Allocates and collects on another thread until disposed, as a server's request threads do.
    private sealed class Collections : IDisposable
    {
        private volatile bool stop;
        private readonly Thread thread;

        public Collections()
        {
            thread = new Thread(() =>
            {
                var garbage = new List<byte[]>();
                while (!stop)
                {
                    garbage.Add(new byte[1000]);
                    if (garbage.Count % 100 != 0) continue;
                    GC.Collect(0);
                    Count++;
                    if (garbage.Count > 10_000) garbage.Clear();
                }
            }) { IsBackground = true };
            thread.Start();
        }

        public int Count { get; private set; }

        public void Dispose()
        {
            stop = true;
            thread.Join();
        }
    }
}
