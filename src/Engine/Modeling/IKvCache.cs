using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>
/// Where a forward pass keeps and reads keys and values. One sequence (or a batch of equal-length rows) appends at
/// <see cref="Length"/>; a decode step over sequences of different lengths gives each row its own position.
/// </summary>
public interface IKvCache
{
    /// <summary>Tokens already cached when all rows share a position; the next token's position.</summary>
    long Length { get; }

    /// <summary>Per row, the position of the one token this step appends [batch] (int64); null when rows share <see cref="Length"/>.</summary>
    Tensor? RowPositions { get; }

    /// <summary>
    /// Writes this step's k/v [batch, kvHeads, tokens, headDim] after what each row has cached; returns everything
    /// cached so far and, when rows hold different lengths, the mask [batch, 1, 1, total] of the positions each row may see.
    /// </summary>
    (Tensor Keys, Tensor Values, Tensor? Mask) Append(int layer, Tensor k, Tensor v);

    /// <summary>Called by the model once all layers have appended a step.</summary>
    void Advance(long tokens);
}
