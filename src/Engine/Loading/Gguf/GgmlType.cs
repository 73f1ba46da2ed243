namespace WebUI.Engine.Loading;

/// <summary>ggml's tensor types that GGUF files use; the numbers are ggml's own.</summary>
public enum GgmlType
{
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15, BF16 = 30,
}

/// <summary>How many values one block of a type holds and how many bytes it takes.</summary>
public static class GgmlTypes
{
    /// <summary>The types the engine dequantizes (the list); others are refused by name.</summary>
    public static readonly IReadOnlySet<GgmlType> Readable = new HashSet<GgmlType>
    {
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
        GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
    };

    public static (int Values, int Bytes) Block(GgmlType type) => type switch
    {
        GgmlType.F32 => (1, 4),
        GgmlType.F16 or GgmlType.BF16 => (1, 2),
        GgmlType.Q4_0 => (32, 18),
        GgmlType.Q4_1 => (32, 20),
        GgmlType.Q5_0 => (32, 22),
        GgmlType.Q5_1 => (32, 24),
        GgmlType.Q8_0 => (32, 34),
        GgmlType.Q4_K => (256, 144),
        GgmlType.Q5_K => (256, 176),
        GgmlType.Q6_K => (256, 210),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a type the engine reads"),
    };

    /// <summary>Bytes of <paramref name="count"/> values, which must fill whole blocks.</summary>
    public static long ByteCount(GgmlType type, long count)
    {
        var (values, bytes) = Block(type);
        return count % values == 0 ? count / values * bytes : throw new ArgumentException($"{count} values do not fill whole {type} blocks of {values}");
    }
}
