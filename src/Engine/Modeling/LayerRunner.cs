using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>Runs the blocks of a stack in order; the one place where per-layer execution policy lives.</summary>
public class LayerRunner
{
    public static readonly LayerRunner Plain = new();

    public virtual Tensor Run(IEnumerable<IDecoderLayer> layers, Tensor hidden, StepContext step)
    {
        foreach (var layer in layers) hidden = layer.Forward(hidden, step);
        return hidden;
    }
}
