using static TorchSharp.torch;

namespace WebUI.Engine.Modeling;

/// <summary>Causal scaled dot-product attention shared by every attention module, with grouped-query heads.</summary>
public static class AttentionMath
{
    /// <summary>
    /// q [batch, heads, tokens, dim]; k, v [batch, kvHeads, past + tokens, dim]. libtorch's causal flag aligns the
    /// mask top-left, which is right only without a past, so a step on top of a cache gets an explicit mask.
    /// <paramref name="rowMask"/> [batch, 1, 1, total] (one query per row) hides what other rows of a batch cached past a row's own length.
    /// </summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? rowMask = null)
    {
        using var scope = NewDisposeScope();
        long heads = q.shape[1], kvHeads = k.shape[1], tokens = q.shape[2], total = k.shape[2];
        if (tokens == 1 && heads != kvHeads)
        {
            // One query: the query heads sharing a kv head can be batched against it, without copying the cache.
            long batch = q.shape[0], dim = q.shape[3];
            var grouped = nn.functional.scaled_dot_product_attention(q.reshape(batch, kvHeads, heads / kvHeads, dim), k, v, attn_mask: rowMask);
            return grouped.reshape(batch, heads, 1, dim).MoveToOuterDisposeScope();
        }
        if (heads != kvHeads)
        {
            k = RepeatHeads(k, heads / kvHeads);
            v = RepeatHeads(v, heads / kvHeads);
        }
        Tensor output;
        if (rowMask is not null && tokens != 1) throw new ArgumentException("a row mask is for one query token per row");
        if (tokens == total)
            output = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
        else if (tokens == 1)
            output = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: rowMask);
        else
        {
            var mask = ones(tokens, total, ScalarType.Bool, q.device).tril(total - tokens);
            output = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);
        }
        return output.MoveToOuterDisposeScope();
    }

    private static Tensor RepeatHeads(Tensor x, long repeats)
    {
        long b = x.shape[0], h = x.shape[1], s = x.shape[2], d = x.shape[3];
        return x.unsqueeze(2).expand(b, h, repeats, s, d).reshape(b, h * repeats, s, d);
    }
}
