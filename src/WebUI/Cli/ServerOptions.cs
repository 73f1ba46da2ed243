using System.CommandLine;
using System.CommandLine.Parsing;
using WebUI.Engine.Studio;

namespace WebUI.Cli;

/// <summary>
/// The root command's options: how the web server starts (text-generation-webui's server flags). --listen refuses to
/// start without an API key, given as --api-key or in WEBUI_API_KEY, unless --insecure-no-auth.
/// </summary>
public sealed class ServerOptions(string? environmentApiKey)
{
    private static readonly ServingLimits DefaultLimits = new();

    public Option<bool> Listen { get; } = CliOptions.Flag("--listen",
        "Serve every network interface (0.0.0.0) instead of loopback; needs --api-key (or WEBUI_API_KEY) unless --insecure-no-auth");

    public Option<int> Port { get; } = new("--port")
    {
        Description = "Port to serve on",
        DefaultValueFactory = _ => StartupOptions.DefaultPort,
        CustomParser = r => CliOptions.Parsed<int?>(r, text => int.TryParse(text, out var port) && port is >= 1 and <= 65535 ? port : null,
            _ => "--port expects a number from 1 to 65535") ?? 0,
    };

    public Option<string?> Model { get; } = CliOptions.OptionalText("--model", "Model to load at start-up: a folder name in models/ or a path", "none");

    public Option<string> DType { get; } = CliOptions.Text("--dtype", "How the model loaded at start-up decodes: fp32, or int8 (its Q8_0 copy; the Model tab's switch)", "fp32");

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = $"Key the API under /v1 asks for as \"Authorization: Bearer KEY\" [default: ${StartupOptions.ApiKeyVariable}, else none]",
        CustomParser = r => CliOptions.Parsed(r, text => text.Length > 0 ? text : null, _ => "--api-key must not be empty"),
    };

    public Option<bool> InsecureNoAuth { get; } = CliOptions.Flag("--insecure-no-auth", "Allow --listen without an API key");

    public Option<string[]> AllowedHosts { get; } = new("--allowed-hosts")
    {
        Description = "Host names served, separated by commas (against DNS rebinding) [default: loopback names; with --listen, any]",
        Arity = ArgumentArity.ExactlyOne, // one comma-separated value, not a list of words
        CustomParser = r => CliOptions.Parsed(r,
            text => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } hosts ? hosts : null,
            _ => "--allowed-hosts expects host names separated by commas"),
    };

    public Option<int> MaxConcurrent { get; } = Count("--max-concurrent", "Most generations decoded together", DefaultLimits.MaxConcurrent, min: 1);
    public Option<int> MaxQueue { get; } = Count("--max-queue", "Most generations waiting for a place; more are refused with 429", DefaultLimits.MaxQueue, min: 0);
    public Option<int> MaxLoras { get; } = Count("--max-loras", "Most adapters kept loaded for serving", DefaultLimits.MaxLoras, min: 1);

    /// <summary>Adds the options to <paramref name="command"/>, with the check that --listen has a key.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Listen, Port, Model, DType, ApiKey, InsecureNoAuth, AllowedHosts, MaxConcurrent, MaxQueue, MaxLoras })
            command.Add(option);
        command.Validators.Add(result =>
        {
            if (result.GetValue(Listen) && KeyOf(result) is null && !result.GetValue(InsecureNoAuth))
                result.AddError("--listen serves every network interface, so the API needs a key: " +
                    $"pass --api-key KEY (or set {StartupOptions.ApiKeyVariable}), or --insecure-no-auth to serve it without one");
            if (result.GetValue(DType) is { } dtype and not ("fp32" or "int8")) result.AddError($"--dtype must be fp32 or int8 (got '{dtype}')");
        });
    }

    public StartupOptions Read(ParseResult result)
    {
        var listen = result.GetValue(Listen);
        return new StartupOptions($"http://{(listen ? "0.0.0.0" : "127.0.0.1")}:{result.GetValue(Port)}", result.GetValue(Model))
        {
            ApiKey = KeyOf(result.CommandResult), Listen = listen, Int8Decoding = result.GetValue(DType) == "int8",
            // Not given reads as an empty list, which the parser never returns for a given one.
            AllowedHosts = result.GetValue(AllowedHosts) is { Length: > 0 } hosts ? hosts : listen ? ["*"] : StartupOptions.LoopbackHosts,
            Limits = new ServingLimits(result.GetValue(MaxConcurrent), result.GetValue(MaxQueue), result.GetValue(MaxLoras)),
        };
    }

    private string? KeyOf(SymbolResult result) => result.GetValue(ApiKey) ?? (string.IsNullOrEmpty(environmentApiKey) ? null : environmentApiKey);

    private static Option<int> Count(string name, string description, int defaultValue, int min) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => CliOptions.Parsed<int?>(r, text => int.TryParse(text, out var n) && n >= min ? n : null,
            text => $"{name} expects a whole number of at least {min} (got '{text}')") ?? 0,
    };
}
