using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>A family's decoder stack: token ids in, final-normed hidden states [batch, tokens, hidden] out.</summary>
public interface IBackbone
{
    TokenEmbedding Embeddings { get; }
    Tensor Forward(Tensor ids, IKvCache? cache, LayerRunner runner);
}
