using System.Globalization;
using System.Numerics;

namespace WebUI.Cli;

/// <summary>A bad command line; printed as one line, never as a stack trace.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>`command --name value --flag` arguments, with typed getters whose errors name the option.</summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> options = new(StringComparer.Ordinal);
    private readonly HashSet<string> read = [];

    public CommandLine(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2) throw new UsageException($"unexpected argument '{arg}'");
            var name = arg[2..];
            if (flags.Contains(name)) { options[name] = null; continue; }
            if (!e.MoveNext()) throw new UsageException($"--{name} needs a value");
            options[name] = e.Current;
        }
    }

    public bool Flag(string name) { read.Add(name); return options.ContainsKey(name); }

    public string? String(string name) { read.Add(name); return options.GetValueOrDefault(name); }

    public string Required(string name) => String(name) ?? throw new UsageException($"--{name} is required");

    public T? Number<T>(string name) where T : struct, INumber<T>
    {
        var text = String(name);
        if (text is null) return null;
        return T.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value)
            ? value : throw new UsageException($"--{name} expects a number, got '{text}'");
    }

    /// <summary>Rejects options no command asked for, so typos do not pass silently.</summary>
    public void RejectUnknown()
    {
        var unknown = options.Keys.FirstOrDefault(k => !read.Contains(k));
        if (unknown is not null) throw new UsageException($"unknown option --{unknown}");
    }
}
