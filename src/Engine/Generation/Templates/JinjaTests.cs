namespace WebUI.Engine.Generation;

/// <summary>The tests (value is [not] name(arguments)) that chat templates use.</summary>
internal static class JinjaTests
{
    public static bool Apply(string name, object? value, JinjaCallArguments args) => name switch
    {
        "defined" => value is not JinjaUndefined,
        "undefined" => value is JinjaUndefined,
        "none" => value is null,
        "true" => value is true,
        "false" => value is false,
        "boolean" => value is bool,
        "string" => value is string,
        "number" => value is long or double,
        "integer" => value is long,
        "float" => value is double,
        "mapping" => value is Dictionary<string, object?> or JinjaNamespace,
        "iterable" => value is string or List<object?> or Dictionary<string, object?>,
        "sequence" => value is string or List<object?> or Dictionary<string, object?>,
        "callable" => value is JinjaFunction,
        "lower" => value is string lower && lower == lower.ToLowerInvariant(),
        "upper" => value is string upper && upper == upper.ToUpperInvariant(),
        "odd" => value is long odd && odd % 2 != 0,
        "even" => value is long even && even % 2 == 0,
        "divisibleby" => value is long n && args.Get(0, "num") is long d && d != 0 && n % d == 0,
        "equalto" or "eq" or "==" or "sameas" => JinjaValues.AreEqual(value, args.Get(0, "other")),
        "ne" or "!=" => !JinjaValues.AreEqual(value, args.Get(0, "other")),
        "lt" or "lessthan" or "<" => JinjaValues.Compare(value, args.Get(0, "other")) < 0,
        "le" or "<=" => JinjaValues.Compare(value, args.Get(0, "other")) <= 0,
        "gt" or "greaterthan" or ">" => JinjaValues.Compare(value, args.Get(0, "other")) > 0,
        "ge" or ">=" => JinjaValues.Compare(value, args.Get(0, "other")) >= 0,
        "in" => JinjaOperators.Contains(args.Get(0, "seq"), value),
        _ => throw new TemplateException($"unknown test '{name}'"),
    };
}
