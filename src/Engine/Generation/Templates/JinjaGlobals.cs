using System.Globalization;
using System.Text;

namespace WebUI.Engine.Generation;

/// <summary>
/// The functions every template can call: Hugging Face's raise_exception and strftime_now, and Jinja's namespace,
/// range and dict.
/// </summary>
internal static class JinjaGlobals
{
    public static IReadOnlyDictionary<string, object?> Create(Func<DateTime> now, TemplateLimits limits) => new Dictionary<string, object?>
    {
        ["raise_exception"] = new JinjaFunction("raise_exception", args => throw new TemplateException(JinjaValues.ToText(args.Get(0, "message"), limits))),
        ["namespace"] = new JinjaFunction("namespace", args => new JinjaNamespace(Keywords(args))),
        ["dict"] = new JinjaFunction("dict", args => Keywords(args)),
        ["range"] = new JinjaFunction("range", args => Range(args, limits)),
        ["strftime_now"] = new JinjaFunction("strftime_now", args => Strftime(now(), JinjaValues.ToText(args.Get(0, "format"), limits))),
    };

    /// <summary>namespace(x=1) or namespace({'x': 1}): a positional dict's entries, then the keyword arguments.</summary>
    private static Dictionary<string, object?> Keywords(JinjaCallArguments args)
    {
        var values = args.Positional.Count > 0 && args.Positional[0] is Dictionary<string, object?> initial ? new Dictionary<string, object?>(initial) : new Dictionary<string, object?>();
        foreach (var (name, value) in args.Named) values[name] = value;
        return values;
    }

    private static List<object?> Range(JinjaCallArguments args, TemplateLimits limits)
    {
        var bounds = args.Positional.Select(a => a is long n ? n : throw new TemplateException("range needs integers")).ToList();
        var (start, stop, step) = bounds.Count switch
        {
            1 => (0L, bounds[0], 1L),
            2 => (bounds[0], bounds[1], 1L),
            3 => (bounds[0], bounds[1], bounds[2]),
            _ => throw new TemplateException("range takes 1 to 3 arguments"),
        };
        if (step == 0) throw new TemplateException("range step cannot be zero");
        Int128 span = step > 0 ? (Int128)stop - start : (Int128)start - stop;
        limits.CheckList(span <= 0 ? 0 : (long)Int128.Min((span - 1) / Int128.Abs(step) + 1, long.MaxValue));
        var values = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) values.Add(i);
        return values;
    }

    /// <summary>Python's strftime for the codes date-stamping templates use (Llama 3.1's "%d %b %Y" and the like).</summary>
    private static string Strftime(DateTime time, string format)
    {
        var culture = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length) { sb.Append(format[i]); continue; }
            char code = format[++i];
            sb.Append(code switch
            {
                'd' => time.ToString("dd", culture),
                'm' => time.ToString("MM", culture),
                'Y' => time.ToString("yyyy", culture),
                'y' => time.ToString("yy", culture),
                'b' => time.ToString("MMM", culture),
                'B' => time.ToString("MMMM", culture),
                'a' => time.ToString("ddd", culture),
                'A' => time.ToString("dddd", culture),
                'H' => time.ToString("HH", culture),
                'I' => time.ToString("hh", culture),
                'M' => time.ToString("mm", culture),
                'S' => time.ToString("ss", culture),
                'p' => time.ToString("tt", culture),
                'j' => time.DayOfYear.ToString("000", culture),
                '%' => "%",
                _ => "%" + code,
            });
        }
        return sb.ToString();
    }
}
