namespace WebUI;

/// <summary>text-generation-webui's address flags: loopback:7860 unless --listen (all interfaces) or --port N.</summary>
public static class ServerAddress
{
    public const int DefaultPort = 7860;

    public static (string Url, string[] Remaining) Parse(string[] args)
    {
        var host = "127.0.0.1";
        var port = DefaultPort;
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--listen") host = "0.0.0.0";
            else if (args[i] == "--port")
            {
                if (i + 1 >= args.Length || !int.TryParse(args[++i], out port) || port is < 1 or > 65535)
                    throw new ArgumentException("--port expects a number from 1 to 65535");
            }
            else rest.Add(args[i]);
        }
        return ($"http://{host}:{port}", rest.ToArray());
    }
}
