using TorchSharp;
using static TorchSharp.torch;

namespace WebUI.Engine;

/// <summary>Where tensors live and in which precision: CUDA in bf16 when present, else the CPU in fp32 (bf16 matmul is ~100x slower there).</summary>
public sealed record ComputeDevice(Device Device, ScalarType DType)
{
    public static ComputeDevice Detect() => cuda.is_available()
        ? new ComputeDevice(CUDA, ScalarType.BFloat16)
        : new ComputeDevice(CPU, ScalarType.Float32);

    public static ComputeDevice Cpu { get; } = new(CPU, ScalarType.Float32);

    public override string ToString() => $"{Device.type.ToString().ToLowerInvariant()} / {DType.ToString().ToLowerInvariant()}";
}
