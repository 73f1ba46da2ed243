using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace WebUI.Engine.Tests.Download;

/// <summary>A request the fake hub saw: its path and Range header (null when none).</summary>
public sealed record HubRequest(string Path, string? Range);

/// <summary>
/// The two Hugging Face hub routes the downloader uses, served on 127.0.0.1 from local folders: the file listing
/// (<c>/api/models/OWNER/NAME/revision/BRANCH</c>) and file downloads (<c>/OWNER/NAME/resolve/BRANCH/FILE</c>) with
/// Range support. It can drop a connection midway through a file and records every request, so tests see resumes.
/// </summary>
public sealed class FakeHub : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Dictionary<string, (string Folder, string[] ListedOnly)> repos = [];
    private readonly ConcurrentDictionary<string, int> dropsLeft = new();
    private readonly ConcurrentDictionary<string, long> dropAfter = new();

    public FakeHub()
    {
        Endpoint = $"http://127.0.0.1:{FreePort()}";
        listener.Prefixes.Add(Endpoint + "/");
        listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public string Endpoint { get; }
    public ConcurrentQueue<HubRequest> Requests { get; } = new();
    /// <summary>Answer every file request in full with 200, as a server without Range support does.</summary>
    public bool IgnoreRanges { get; set; }

    /// <summary>Serves the files of <paramref name="folder"/> as repository <paramref name="id"/> (branch main); <paramref name="listedOnly"/> are listed but not served.</summary>
    public void AddRepo(string id, string folder, params string[] listedOnly) => repos[id] = (folder, listedOnly);

    /// <summary>The next <paramref name="times"/> transfers of <paramref name="file"/> stop after <paramref name="afterBytes"/> bytes by closing the connection.</summary>
    public void DropTransfers(string file, long afterBytes, int times = 1)
    {
        dropAfter[file] = afterBytes;
        dropsLeft[file] = times;
    }

    public IReadOnlyList<HubRequest> FileRequests(string file) => [.. Requests.Where(r => r.Path.EndsWith("/resolve/main/" + file, StringComparison.Ordinal))];

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => Answer(context));
        }
    }

    private async Task Answer(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var path = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath);
            Requests.Enqueue(new HubRequest(path, context.Request.Headers["Range"]));
            var parts = path.Trim('/').Split('/');
            if (parts is ["api", "models", var owner, var name, "revision", "main"] && repos.TryGetValue($"{owner}/{name}", out var listed))
                await SendListing(response, listed.Folder, listed.ListedOnly);
            else if (parts is [var o, var n, "resolve", "main", var file] && repos.TryGetValue($"{o}/{n}", out var repo) && File.Exists(Path.Combine(repo.Folder, file)))
                await SendFile(context, Path.Combine(repo.Folder, file), file);
            else
            {
                response.StatusCode = 404;
                await Send(response, """{"error":"Repository not found"}"""u8.ToArray());
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away; nothing to answer.
        }
    }

    private static async Task SendListing(HttpListenerResponse response, string folder, string[] listedOnly)
    {
        var served = Directory.GetFiles(folder).Select(path => new Dictionary<string, object>
        {
            ["rfilename"] = Path.GetFileName(path),
            ["size"] = new FileInfo(path).Length,
            ["lfs"] = new { sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), size = new FileInfo(path).Length },
        });
        var others = listedOnly.Select(name => new Dictionary<string, object> { ["rfilename"] = name, ["size"] = 10L });
        await Send(response, JsonSerializer.SerializeToUtf8Bytes(new { id = "fake", siblings = served.Concat(others) }));
    }

    private async Task SendFile(HttpListenerContext context, string path, string file)
    {
        var bytes = await File.ReadAllBytesAsync(path);
        var response = context.Response;
        long from = 0;
        if (!IgnoreRanges && context.Request.Headers["Range"] is { } range && range.StartsWith("bytes=") && range.EndsWith('-'))
        {
            from = long.Parse(range["bytes=".Length..^1]);
            if (from >= bytes.Length)
            {
                response.StatusCode = 416;
                response.Headers["Content-Range"] = $"bytes */{bytes.Length}";
                response.ContentLength64 = 0;
                response.Close();
                return;
            }
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {from}-{bytes.Length - 1}/{bytes.Length}";
        }
        response.ContentLength64 = bytes.Length - from;
        if (dropsLeft.TryGetValue(file, out var left) && left > 0 && dropsLeft.TryUpdate(file, left - 1, left))
        {
            var sent = (int)Math.Min(dropAfter[file], bytes.Length - from);
            await response.OutputStream.WriteAsync(bytes.AsMemory((int)from, sent));
            await response.OutputStream.FlushAsync();
            await Task.Delay(100); // let the bytes reach the client before the connection goes
            response.Abort();
            return;
        }
        await response.OutputStream.WriteAsync(bytes.AsMemory((int)from));
        response.Close();
    }

    private static async Task Send(HttpListenerResponse response, byte[] body)
    {
        response.ContentType = "application/json";
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body);
        response.Close();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose() => listener.Close();
}
