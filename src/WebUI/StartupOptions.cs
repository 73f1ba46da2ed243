using WebUI.Engine.Studio;

namespace WebUI;

/// <summary>
/// text-generation-webui's server flags: loopback:7860 unless --listen (all interfaces) or --port N, and
/// --model NAME|PATH to load a model at start-up. The API's: --api-key KEY (or WEBUI_API_KEY) makes /v1 ask for
/// "Authorization: Bearer KEY"; --listen refuses to start without one unless --insecure-no-auth.
/// --allowed-hosts a,b sets the Host names served (default: loopback names only; with --listen, any host, since a
/// key is then required). --max-concurrent, --max-queue and --max-loras set the serving limits.
/// Anything else goes on to ASP.NET's configuration.
/// </summary>
public sealed record StartupOptions(string Url, string? Model, string[] Remaining)
{
    public const int DefaultPort = 7860;
    public const string ApiKeyVariable = "WEBUI_API_KEY";
    public static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    public string? ApiKey { get; init; }
    public bool Listen { get; init; }
    public IReadOnlyList<string> AllowedHosts { get; init; } = LoopbackHosts;
    public ServingLimits Limits { get; init; } = new();

    /// <summary>ArgumentException with a message for the user on a bad flag or an unsafe combination.</summary>
    public static StartupOptions Parse(string[] args, string? environmentApiKey = null)
    {
        var host = "127.0.0.1";
        var port = DefaultPort;
        string? model = null, apiKey = string.IsNullOrEmpty(environmentApiKey) ? null : environmentApiKey;
        bool listen = false, insecure = false;
        string[]? hosts = null;
        var limits = new ServingLimits();
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string Value(string what) => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} expects {what}");
            int Count(string flag, int min)
            {
                var text = Value("a number");
                return int.TryParse(text, out var n) && n >= min ? n : throw new ArgumentException($"{flag} expects a whole number of at least {min} (got '{text}')");
            }
            switch (args[i])
            {
                case "--listen":
                    host = "0.0.0.0";
                    listen = true;
                    break;
                case "--port":
                    if (i + 1 >= args.Length || !int.TryParse(args[++i], out port) || port is < 1 or > 65535)
                        throw new ArgumentException("--port expects a number from 1 to 65535");
                    break;
                case "--model":
                    model = i + 1 < args.Length ? args[++i] : throw new ArgumentException("--model expects a model name or path");
                    break;
                case "--api-key":
                    apiKey = Value("a key");
                    if (apiKey.Length == 0) throw new ArgumentException("--api-key must not be empty");
                    break;
                case "--insecure-no-auth":
                    insecure = true;
                    break;
                case "--allowed-hosts":
                    hosts = Value("host names separated by commas").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (hosts.Length == 0) throw new ArgumentException("--allowed-hosts expects host names separated by commas");
                    break;
                case "--max-concurrent": limits = limits with { MaxConcurrent = Count("--max-concurrent", 1) }; break;
                case "--max-queue": limits = limits with { MaxQueue = Count("--max-queue", 0) }; break;
                case "--max-loras": limits = limits with { MaxLoras = Count("--max-loras", 1) }; break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }
        if (listen && apiKey is null && !insecure)
            throw new ArgumentException($"--listen serves every network interface, so the API needs a key: pass --api-key KEY (or set {ApiKeyVariable}), " +
                "or --insecure-no-auth to serve it without one");
        return new StartupOptions($"http://{host}:{port}", model, [.. rest])
        {
            ApiKey = apiKey, Listen = listen, AllowedHosts = hosts ?? (listen ? ["*"] : LoopbackHosts), Limits = limits,
        };
    }
}
