namespace WebUI;

/// <summary>
/// text-generation-webui's server flags: loopback:7860 unless --listen (all interfaces) or --port N, and
/// --model NAME|PATH to load a model at start-up. Anything else goes on to ASP.NET's configuration.
/// </summary>
public sealed record StartupOptions(string Url, string? Model, string[] Remaining)
{
    public const int DefaultPort = 7860;

    public static StartupOptions Parse(string[] args)
    {
        var host = "127.0.0.1";
        var port = DefaultPort;
        string? model = null;
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--listen":
                    host = "0.0.0.0";
                    break;
                case "--port":
                    if (i + 1 >= args.Length || !int.TryParse(args[++i], out port) || port is < 1 or > 65535)
                        throw new ArgumentException("--port expects a number from 1 to 65535");
                    break;
                case "--model":
                    model = i + 1 < args.Length ? args[++i] : throw new ArgumentException("--model expects a model name or path");
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }
        return new StartupOptions($"http://{host}:{port}", model, [.. rest]);
    }
}
