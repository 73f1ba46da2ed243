namespace WebUI.Engine.Generation;

/// <summary>
/// Bounds on what one chat template may cost, since templates come with downloaded models: a hostile one must fail
/// with a <see cref="TemplateException"/>, not hang, exhaust memory or overflow the stack. <see cref="Default"/> is
/// far beyond any real chat template; tests lower them.
/// </summary>
public sealed record TemplateLimits
{
    public static TemplateLimits Default { get; } = new();

    /// <summary>Characters one render may print (including text captured by set blocks and macros).</summary>
    public int MaxOutputChars { get; init; } = 1_000_000;
    /// <summary>Loop iterations in one render, all loops together.</summary>
    public int MaxLoopIterations { get; init; } = 1_000_000;
    /// <summary>Characters in any string a template computes (repetition, concatenation, join, filters).</summary>
    public int MaxStringChars { get; init; } = 1_000_000;
    /// <summary>Items in any list a template computes (range, repetition, concatenation).</summary>
    public int MaxListItems { get; init; } = 1_000_000;
    /// <summary>How deeply blocks and expressions may nest, when parsed and when rendered.</summary>
    public int MaxDepth { get; init; } = 500;
    /// <summary>Wall time one render may take.</summary>
    public TimeSpan MaxRenderTime { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>
    /// The clock strftime_now reads (local time, as Hugging Face's datetime.now()). Not a cost bound, but it travels
    /// with them to every render; tests fix it so that date-stamping templates (Llama 3.x, SmolLM3) render the same.
    /// </summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>This, or an <see cref="ArgumentException"/> naming the first limit that is not positive.</summary>
    public TemplateLimits Validate()
    {
        foreach (var (name, value) in new[] { (nameof(MaxOutputChars), MaxOutputChars), (nameof(MaxLoopIterations), MaxLoopIterations),
                     (nameof(MaxStringChars), MaxStringChars), (nameof(MaxListItems), MaxListItems), (nameof(MaxDepth), MaxDepth) })
            if (value < 1) throw new ArgumentException($"{name} must be positive, not {value}", name);
        if (MaxRenderTime <= TimeSpan.Zero) throw new ArgumentException($"MaxRenderTime must be positive, not {MaxRenderTime}", nameof(MaxRenderTime));
        ArgumentNullException.ThrowIfNull(Clock);
        return this;
    }

    /// <summary>Throws unless a string of <paramref name="chars"/> characters is allowed; call before building it.</summary>
    internal void CheckString(long chars)
    {
        if (chars > MaxStringChars) throw new TemplateException($"a string would be over the limit of {MaxStringChars} characters");
    }

    /// <summary>Throws unless a list of <paramref name="items"/> items is allowed; call before building it.</summary>
    internal void CheckList(long items)
    {
        if (items > MaxListItems) throw new TemplateException($"a list would be over the limit of {MaxListItems} items");
    }

    /// <summary><paramref name="times"/> copies of something <paramref name="size"/> long, clamped so that the product cannot overflow.</summary>
    internal long Repeated(long size, long times) => size * Math.Clamp(times, 0, Math.Max(MaxStringChars, MaxListItems) + 1L);

    internal TemplateException TooDeep() => new($"blocks or expressions nest deeper than the limit of {MaxDepth}");
}
