using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>
/// DoRA (Liu et al. 2024, as PEFT runs it): the adapted weight is m ⊙ (W + s·B·A) / ‖W + s·B·A‖, the norm taken per
/// output row and treated as a constant (no gradient), as the paper's section 4.3 and PEFT do. On a layer's output
/// that is y = x·Wᵀ + b + (k − 1) ⊙ x·Wᵀ + k ⊙ s·B(A(x)) with k = m / ‖W + s·B·A‖.
/// </summary>
public static class DoraMath
{
    /// <summary>k = m / ‖W + s·B·A‖ per output row, computed in fp32 without gradient into the norm (the magnitude keeps its own).</summary>
    public static Tensor MagnitudeScale(Tensor weight, Tensor a, Tensor b, double scale, Tensor magnitude)
    {
        using var scope = NewDisposeScope();
        Tensor norm;
        using (no_grad())
        {
            var adapted = weight.to(ScalarType.Float32).add(b.to(ScalarType.Float32).mm(a.to(ScalarType.Float32)), TorchScalars.Of(scale));
            norm = linalg.norm(adapted, dims: [1]).to(magnitude.dtype);
        }
        return magnitude.div(norm).MoveToOuterDisposeScope();
    }

    /// <summary>The weight DoRA makes: k[:, None] · (W + s·B·A), in fp32.</summary>
    public static Tensor Merged(Tensor weight, Tensor a, Tensor b, double scale, Tensor magnitude)
    {
        using var scope = NewDisposeScope();
        var adapted = weight.to(ScalarType.Float32).add(b.to(ScalarType.Float32).mm(a.to(ScalarType.Float32)), TorchScalars.Of(scale));
        var k = magnitude.to(ScalarType.Float32).div(linalg.norm(adapted, dims: [1]));
        return adapted.mul(k.unsqueeze(1)).MoveToOuterDisposeScope();
    }
}
