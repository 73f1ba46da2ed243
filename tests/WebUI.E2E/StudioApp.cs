using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace WebUI.E2E;

/// <summary>
/// The real app as a user runs it: <c>dotnet WebUI.dll --port N</c> in its own process, with the studio root
/// (models/, loras/, training/) as its working directory. Its console output is kept for failure messages.
/// </summary>
public sealed class StudioApp : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();

    private StudioApp(Process process, string url)
    {
        this.process = process;
        Url = url;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Url { get; }

    /// <summary>The last lines the app printed.</summary>
    public string Output => string.Join('\n', output);

    /// <summary>Starts the app built beside this test assembly and waits until it answers HTTP.</summary>
    public static async Task<StudioApp> StartAsync(string root, TimeSpan timeout)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "WebUI.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"the app's build output {dll} is missing; build tests/WebUI.E2E first");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll, "--port", port.ToString() }) start.ArgumentList.Add(arg);
        // One torch thread: the model is tiny, and CI runs other test assemblies on the same two cores, where two
        // OpenMP threads spin-wait on each other and crawl.
        start.Environment["OMP_NUM_THREADS"] = "1";
        var app = new StudioApp(Process.Start(start)!, $"http://127.0.0.1:{port}");
        try
        {
            await app.WaitUntilServingAsync(timeout);
            return app;
        }
        catch
        {
            app.Dispose();
            throw;
        }
    }

    private async Task WaitUntilServingAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (process.HasExited) throw new InvalidOperationException($"the app exited with code {process.ExitCode} at start:\n{Output}");
            try
            {
                if ((await http.GetAsync(Url + "/model")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"the app did not answer on {Url} within {timeout.TotalSeconds:0} s:\n{Output}");
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        output.Enqueue(line);
        while (output.Count > 200) output.TryDequeue(out _);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        process.Dispose();
    }
}
