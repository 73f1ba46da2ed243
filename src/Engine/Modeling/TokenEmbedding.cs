using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>A lookup table of vectors (token or learned position embeddings); also read as a tied output head.</summary>
public sealed class TokenEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;

    public TokenEmbedding(long count, long dim) : base(nameof(TokenEmbedding))
    {
        // Stored [dim, count] and exposed as [count, dim], for the same reason as AdaptableLinear: a tied output
        // head multiplies by its transpose, and lookups of a few rows do not mind the stride.
        weight = new Parameter(empty(dim, count).t());
        RegisterComponents();
    }

    public Parameter Weight => weight;

    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        long[] shape = [.. ids.shape, weight.shape[1]];
        return weight.index_select(0, ids.flatten()).view(shape).MoveToOuterDisposeScope();
    }
}
