using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace WebUI.Cli;

/// <summary>
/// Option factories that keep the command line's conventions: numbers as the invariant culture writes them, errors
/// that name the option, and a default shown in help for every option that takes a value ("[default: ...]", written
/// out where the default is not a value, such as "random").
/// </summary>
public static class CliOptions
{
    /// <summary>No response files: a prompt such as "@alice hi" is text, not a file to read arguments from.</summary>
    public static readonly ParserConfiguration Parsing = new() { ResponseFileTokenReplacer = null };

    public static Option<string> Required(string name, string description) => new(name) { Description = description, Required = true };

    public static Option<string> Text(string name, string description, string defaultValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    public static Option<string?> OptionalText(string name, string description, string whenAbsent) =>
        new(name) { Description = WithDefault(description, whenAbsent) };

    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    public static Option<T> Number<T>(string name, string description, T defaultValue) where T : struct, INumber<T> =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue, CustomParser = r => ParseNumber<T>(r, name) ?? default };

    public static Option<T?> OptionalNumber<T>(string name, string description, string whenAbsent) where T : struct, INumber<T> =>
        new(name) { Description = WithDefault(description, whenAbsent), CustomParser = r => ParseNumber<T>(r, name) };

    /// <summary>The option's one value parsed by <paramref name="parse"/>, or <paramref name="error"/> (given the text) as the parse error.</summary>
    public static T? Parsed<T>(ArgumentResult result, Func<string, T?> parse, Func<string, string> error)
    {
        var text = result.Tokens[^1].Value;
        var value = parse(text);
        if (value is null) result.AddError(error(text));
        return value;
    }

    // Help prints "[default: X]" only for options with a default value; the others say what being absent means in the same words.
    private static string WithDefault(string description, string whenAbsent) => $"{description} [default: {whenAbsent}]";

    private static T? ParseNumber<T>(ArgumentResult result, string name) where T : struct, INumber<T> =>
        Parsed<T?>(result,
            text => T.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value) ? value : null,
            text => $"{name} expects a number, got '{text}'");
}
