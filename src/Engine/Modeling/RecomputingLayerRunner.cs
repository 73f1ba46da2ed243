using TorchSharp;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>
/// Gradient checkpointing without a custom autograd function: the forward pass runs the layers without a graph,
/// keeping only each layer's input; <see cref="Backward"/> then walks the layers in reverse, recomputing one
/// layer with a graph at a time. Peak activation memory is one layer's plus the saved inputs.
/// The dropout generator's state is saved per layer so that recomputing draws the same masks.
/// </summary>
public sealed class RecomputingLayerRunner : LayerRunner, IDisposable
{
    private readonly List<(IDecoderLayer Layer, Tensor Input, Tensor? RandomState)> saved = [];
    private Tensor? firstInput, output;
    private StepContext? context;

    public override Tensor Run(IEnumerable<IDecoderLayer> layers, Tensor hidden, StepContext step)
    {
        if (output is not null) throw new InvalidOperationException("Backward() must run before the next forward pass");
        // Everything kept across the backbone's dispose scope is detached from it and owned here until Backward.
        context = step with { RopeCos = step.RopeCos?.DetachFromDisposeScope(), RopeSin = step.RopeSin?.DetachFromDisposeScope() };
        firstInput = hidden.DetachFromDisposeScope();
        var current = firstInput.detach().DetachFromDisposeScope();
        using (no_grad())
        {
            foreach (var layer in layers)
            {
                saved.Add((layer, current, AdapterDropout.Random?.get_state().DetachFromDisposeScope()));
                current = layer.Forward(current, context).DetachFromDisposeScope();
            }
        }
        output = current.requires_grad_(true);
        return output;
    }

    /// <summary>Call after the loss's backward pass has filled the gradient of the tensor <see cref="Run"/> returned.</summary>
    public void Backward()
    {
        if (output is null) throw new InvalidOperationException("no forward pass to differentiate");
        var grad = output.grad?.detach().clone().DetachFromDisposeScope()
            ?? throw new InvalidOperationException("the layers' output received no gradient");
        for (int i = saved.Count - 1; i >= 0; i--)
        {
            using var scope = NewDisposeScope();
            var (layer, input, randomState) = saved[i];
            if (randomState is not null) AdapterDropout.Random!.set_state(randomState);
            var x = input.detach().requires_grad_(true);
            var y = layer.Forward(x, context!);
            y.backward([grad]);
            grad.Dispose();
            grad = (x.grad ?? zeros_like(input)).detach().clone().DetachFromDisposeScope();
        }
        // The first input still carries the embedding's graph (full fine-tuning); close the chain through it.
        if (firstInput!.requires_grad) firstInput.backward([grad]);
        grad.Dispose();
        Release();
    }

    private void Release()
    {
        foreach (var (_, input, state) in saved) { input.Dispose(); state?.Dispose(); }
        saved.Clear();
        firstInput?.Dispose();
        output?.Dispose();
        context?.RopeCos?.Dispose();
        context?.RopeSin?.Dispose();
        (firstInput, output, context) = (null, null, null);
    }

    public void Dispose() => Release();
}
