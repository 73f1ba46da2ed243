using TorchSharp;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>
/// Gradient checkpointing without a custom autograd function: the forward pass runs the layers without a graph,
/// keeping only each layer's input; <see cref="Backward"/> then walks the layers in reverse, recomputing one
/// layer with a graph at a time. Peak activation memory is one layer's plus the saved inputs.
/// The dropout generator's state is saved per layer so that recomputing draws the same masks.
/// </summary>
/// <remarks>
/// Everything that lives across layers (the saved inputs, the running gradient) is allocated once, before the
/// first layer's temporaries. A tensor allocated between two layers' temporaries would pin the heap there, and
/// glibc could then reuse neither side for the next layer's larger blocks: the first step's RSS grew ~25 MB a
/// layer that way on the 135M model.
/// </remarks>
public sealed class RecomputingLayerRunner : LayerRunner, IDisposable
{
    private readonly List<(IDecoderLayer Layer, byte[]? RandomState)> saved = [];
    private Tensor? firstInput, inputs, output;
    private Tensor[] gradients = [];
    private StepContext? context;

    public override Tensor Run(IEnumerable<IDecoderLayer> layers, Tensor hidden, StepContext step)
    {
        if (output is not null) throw new InvalidOperationException("Backward() must run before the next forward pass");
        var stack = layers.ToList();
        // Everything kept across the backbone's dispose scope is detached from it and owned here until Backward.
        context = step with { RopeCos = step.RopeCos?.DetachFromDisposeScope(), RopeSin = step.RopeSin?.DetachFromDisposeScope() };
        firstInput = hidden.DetachFromDisposeScope();
        inputs = empty([stack.Count, .. hidden.shape], hidden.dtype, hidden.device).DetachFromDisposeScope();
        gradients = [zeros_like(hidden).DetachFromDisposeScope(), empty_like(hidden).DetachFromDisposeScope()];
        using (no_grad())
        {
            using (var first = inputs[0]) first.copy_(hidden);
            for (int i = 0; i < stack.Count; i++)
            {
                using var scope = NewDisposeScope();
                saved.Add((stack[i], AdapterDropout.Random?.get_state().data<byte>().ToArray()));
                var y = stack[i].Forward(inputs[i], context);
                if (i + 1 < stack.Count) inputs[i + 1].copy_(y);
                else output = y.DetachFromDisposeScope();
            }
        }
        // The loss's backward accumulates into this preallocated gradient in place.
        output!.requires_grad_(true).grad = gradients[0];
        return output;
    }

    /// <summary>Call after the loss's backward pass has filled the gradient of the tensor <see cref="Run"/> returned.</summary>
    public void Backward()
    {
        if (output is null) throw new InvalidOperationException("no forward pass to differentiate");
        var (incoming, next) = (gradients[0], gradients[1]);
        for (int i = saved.Count - 1; i >= 0; i--)
        {
            using var scope = NewDisposeScope();
            var (layer, randomState) = saved[i];
            if (randomState is not null) AdapterDropout.Random!.set_state(tensor(randomState));
            var x = inputs![i].detach().requires_grad_(true);
            layer.Forward(x, context!).backward([incoming]);
            if (x.grad is { } grad) next.copy_(grad); else next.zero_();
            (incoming, next) = (next, incoming);
        }
        // The first input still carries the embedding's graph (full fine-tuning); close the chain through it.
        if (firstInput!.requires_grad) firstInput.backward([incoming]);
        Release();
    }

    private void Release()
    {
        saved.Clear();
        foreach (var t in (Tensor?[])[firstInput, inputs, output, context?.RopeCos, context?.RopeSin, .. gradients]) t?.Dispose();
        (firstInput, inputs, output, context, gradients) = (null, null, null, null, []);
    }

    public void Dispose() => Release();
}
