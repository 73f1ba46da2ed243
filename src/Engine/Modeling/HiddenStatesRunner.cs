using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>
/// Runs the layers as usual and keeps the hidden state at every depth: [0] what enters the first layer (the
/// embeddings), [i] what layer i-1 hands on. For measuring what training moved; owned until disposed.
/// </summary>
public sealed class HiddenStatesRunner : LayerRunner, IDisposable
{
    private readonly List<Tensor> states = [];

    public IReadOnlyList<Tensor> States => states;

    public override Tensor Run(IEnumerable<IDecoderLayer> layers, Tensor hidden, StepContext step)
    {
        states.Add(hidden.detach().clone().DetachFromDisposeScope());
        foreach (var layer in layers)
        {
            hidden = layer.Forward(hidden, step);
            states.Add(hidden.detach().clone().DetachFromDisposeScope());
        }
        return hidden;
    }

    public void Dispose()
    {
        foreach (var state in states) state.Dispose();
        states.Clear();
    }
}
