using System.CommandLine;
using WebUI.Cli;
using WebUI.Engine.Studio;

namespace WebUI;

/// <summary>
/// How the web server starts: loopback:7860 unless --listen (all interfaces) or --port N; --model NAME|PATH loads a
/// model at start-up; --api-key KEY (or WEBUI_API_KEY) makes /v1 ask for "Authorization: Bearer KEY"; the Host
/// names served; the serving limits. The flags are declared in <see cref="ServerOptions"/>.
/// </summary>
public sealed record StartupOptions(string Url, string? Model)
{
    public const int DefaultPort = 7860;
    public const string ApiKeyVariable = "WEBUI_API_KEY";
    public static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    public string? ApiKey { get; init; }
    public bool Listen { get; init; }
    /// <summary>Whether the model loaded at start-up decodes from its int8 copy (--dtype int8).</summary>
    public bool Int8Decoding { get; init; }
    public IReadOnlyList<string> AllowedHosts { get; init; } = LoopbackHosts;
    public ServingLimits Limits { get; init; } = new();
    /// <summary>ASP.NET configuration over appsettings.json, for hosts in this process (bench quiets the logs); no flag sets it.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>The server flags alone, as the root command reads them; ArgumentException with a message for the user on a bad flag or an unsafe combination.</summary>
    public static StartupOptions Parse(string[] args, string? environmentApiKey = null)
    {
        var options = new ServerOptions(environmentApiKey);
        var command = new RootCommand();
        options.AddTo(command);
        var result = command.Parse(args, CliOptions.Parsing);
        if (result.Errors.Count > 0) throw new ArgumentException(string.Join(" ", result.Errors.Select(e => e.Message)));
        return options.Read(result);
    }
}
