using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>One transformer block as the backbone drives it: hidden states in, hidden states out, cache updated.</summary>
public interface IDecoderLayer
{
    Tensor Forward(Tensor hidden, StepContext step);
}

/// <summary>What every layer of one forward pass shares: the cache and, for rotary models, this step's cos/sin tables.</summary>
public sealed record StepContext(IKvCache? Cache, Tensor? RopeCos = null, Tensor? RopeSin = null);
