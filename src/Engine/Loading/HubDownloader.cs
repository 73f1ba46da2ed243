using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace WebUI.Engine.Loading;

/// <summary>A file of a hub repository, with its size and SHA-256 when the hub lists them (it does for LFS files).</summary>
public sealed record HubFile(string Name, long? Size, string? Sha256);

/// <summary>
/// Downloads what the engine needs from a Hugging Face model repository: config, tokenizer files and safetensors
/// weights, nothing else. Each file streams into NAME.partial and gets its final name only once its length (and
/// SHA-256, when listed) checks out, so a model folder never holds a truncated file. A dropped connection is retried
/// with a Range request that resumes the partial file, and so is a later download of the same repository.
/// </summary>
public sealed class HubDownloader(HttpClient http, HubDownloadOptions options)
{
    public const string PartialSuffix = ".partial";

    /// <summary>Everything besides the weights, in download order (small files first, so problems show early).</summary>
    private static readonly string[] SideFiles =
    [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "tokenizer.model",
        "special_tokens_map.json", "vocab.json", "merges.txt", "model.safetensors.index.json",
    ];

    private string Endpoint => options.Endpoint.TrimEnd('/');

    /// <summary>One client for the process: no overall timeout (files are large); stalls are caught per read instead.</summary>
    public static HttpClient CreateHttpClient() =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Downloads the repository's model files into <paramref name="folder"/>, skipping files already complete there.</summary>
    public async Task DownloadAsync(HubRepo repo, string folder, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var files = Select(repo, await ListFilesAsync(repo, cancellationToken));
        Directory.CreateDirectory(folder);
        var tally = new Tally(files, progress);
        for (int i = 0; i < files.Count; i++)
            await DownloadFileAsync(repo, i, files[i], folder, tally, cancellationToken);
        // Where the folder came from, for what is later handed to tools that fetch by hub id (a job's base_model).
        AtomicFile.WriteAllText(Path.Combine(folder, SourceFileName), new System.Text.Json.Nodes.JsonObject
        {
            ["repo_id"] = $"{repo.Owner}/{repo.Name}", ["revision"] = repo.Branch, ["endpoint"] = Endpoint,
        }.ToJsonString());
    }

    /// <summary>Beside a downloaded model: the hub repository and revision it came from.</summary>
    public const string SourceFileName = "hub_source.json";

    /// <summary>The "owner/name" a model folder was downloaded from (its <see cref="SourceFileName"/>), or null.</summary>
    public static string? RepoIdOf(string folder)
    {
        var path = Path.Combine(folder, SourceFileName);
        if (!File.Exists(path)) return null;
        try { return System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))?["repo_id"]?.GetValue<string>(); }
        catch (System.Text.Json.JsonException) { return null; }
    }

    /// <summary>Every file in the repository at its branch, as the hub's API lists them.</summary>
    public async Task<IReadOnlyList<HubFile>> ListFilesAsync(HubRepo repo, CancellationToken cancellationToken)
    {
        var url = $"{Endpoint}/api/models/{Escape(repo.Owner)}/{Escape(repo.Name)}/revision/{Escape(repo.Branch)}?blobs=true";
        var json = await WithRetries($"listing the files of {repo} on {Endpoint}", async ct =>
        {
            using var response = await SendAsync(Request(url), ct);
            EnsureSuccess(response, repo, file: null);
            return await response.Content.ReadAsStringAsync(ct);
        }, cancellationToken);
        try
        {
            using var document = JsonDocument.Parse(json);
            if (!document.RootElement.TryGetProperty("siblings", out var siblings) || siblings.ValueKind != JsonValueKind.Array)
                throw new HubDownloadException($"{Endpoint} answered for {repo} without a file list ('siblings'); is HF_ENDPOINT a Hugging Face hub?");
            return [.. siblings.EnumerateArray().Select(s => new HubFile(
                s.GetProperty("rfilename").GetString()!,
                s.TryGetProperty("size", out var size) && size.ValueKind == JsonValueKind.Number ? size.GetInt64() : null,
                s.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object && lfs.TryGetProperty("sha256", out var sha) ? sha.GetString() : null))];
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new HubDownloadException($"{Endpoint} sent a file list for {repo} that is not valid JSON of the hub's shape: {e.Message}", e);
        }
    }

    /// <summary>The files worth downloading: config, tokenizer and safetensors at the top level; says why when a repository has no usable model.</summary>
    public static IReadOnlyList<HubFile> Select(HubRepo repo, IReadOnlyList<HubFile> listed)
    {
        var top = listed.Where(f => !f.Name.Contains('/') && !f.Name.Contains('\\') && !f.Name.StartsWith('.')).ToList();
        if (!top.Any(f => f.Name == "config.json"))
            throw new HubDownloadException(top.Any(f => f.Name == "adapter_config.json")
                ? $"{repo} is a LoRA adapter, not a model: download its base model here and put the adapter's folder in loras/"
                : $"{repo} has no config.json, so it is not a Transformers model (GGUF and other formats are not supported)");
        var weights = top.Where(f => f.Name.EndsWith(".safetensors", StringComparison.Ordinal)).ToList();
        // Mistral ships its native checkpoint (consolidated*.safetensors) beside the Transformers one; only the latter is readable.
        if (weights.Any(f => !f.Name.StartsWith("consolidated", StringComparison.Ordinal)))
            weights.RemoveAll(f => f.Name.StartsWith("consolidated", StringComparison.Ordinal));
        if (weights.Count == 0)
        {
            var others = top.Where(f => f.Name.EndsWith(".bin") || f.Name.EndsWith(".pt") || f.Name.EndsWith(".pth") || f.Name.EndsWith(".gguf")).Select(f => f.Name).ToList();
            throw new HubDownloadException($"{repo} has no .safetensors weights{(others.Count > 0 ? $" (only {string.Join(", ", others)})" : "")}; " +
                "the studio reads safetensors only, so look for a safetensors version of this model");
        }
        return [.. SideFiles.SelectMany(name => top.Where(f => f.Name == name)), .. weights.OrderBy(f => f.Name, StringComparer.Ordinal)];
    }

    private async Task DownloadFileAsync(HubRepo repo, int index, HubFile file, string folder, Tally tally, CancellationToken cancellationToken)
    {
        var target = Path.Combine(folder, file.Name);
        // Only complete files ever get the final name, so one of the listed size is done (the hub may have a newer version otherwise).
        if (File.Exists(target) && (file.Size is null || new FileInfo(target).Length == file.Size))
        {
            tally.Finished(index, new FileInfo(target).Length);
            return;
        }
        var partial = target + PartialSuffix;
        await WithRetries($"downloading {file.Name} of {repo}", async ct =>
        {
            await FetchAsync(repo, index, file, partial, tally, ct);
            return true;
        }, cancellationToken, afterFailure: " The part downloaded so far is kept: download again to resume.");
        File.Move(partial, target, overwrite: true);
        tally.Finished(index, new FileInfo(target).Length);
    }

    /// <summary>One attempt at a file: resumes the partial file when the server honours the range, else starts it over.</summary>
    private async Task FetchAsync(HubRepo repo, int index, HubFile file, string partial, Tally tally, CancellationToken cancellationToken)
    {
        long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        var request = Request(ResolveUrl(repo, file.Name));
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
        {
            // Nothing left to send: the partial file is either the whole file already or not this file at all.
            if (response.Content.Headers.ContentRange?.Length is not { } whole || whole != have) StartOver(partial, $"{file.Name}: the kept partial file does not fit the hub's");
        }
        else
        {
            EnsureSuccess(response, repo, file.Name);
            var resumed = response.StatusCode == HttpStatusCode.PartialContent;
            if (resumed && response.Content.Headers.ContentRange?.From != have) StartOver(partial, $"{file.Name}: the hub resumed at another offset than asked");
            long? total = (resumed ? response.Content.Headers.ContentRange?.Length : response.Content.Headers.ContentLength) ?? file.Size;
            await using (var output = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            await using (var input = await response.Content.ReadAsStreamAsync(cancellationToken))
            {
                var buffer = new byte[1 << 20];
                long written = resumed ? have : 0;
                tally.Report(index, written, total, force: true);
                for (int n; (n = await ReadAsync(input, buffer, cancellationToken)) > 0;)
                {
                    await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                    written += n;
                    tally.Report(index, written, total, force: false);
                }
            }
            var length = new FileInfo(partial).Length;
            if (total is { } expected && length != expected)
            {
                if (length > expected) File.Delete(partial);
                throw new HubDownloadException($"{file.Name} arrived with {length} of {expected} bytes", transient: true);
            }
        }
        if (file.Sha256 is { } sha256) await VerifyAsync(partial, sha256, file.Name, cancellationToken);
    }

    private static void StartOver(string partial, string why)
    {
        File.Delete(partial);
        throw new HubDownloadException($"{why}; starting it over", transient: true);
    }

    private static async Task VerifyAsync(string path, string sha256, string name, CancellationToken cancellationToken)
    {
        string actual;
        await using (var stream = File.OpenRead(path))
            actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
        if (!actual.Equals(sha256, StringComparison.OrdinalIgnoreCase))
            StartOver(path, $"{name} is corrupt (its SHA-256 is not the one the hub lists)");
    }

    /// <summary>Runs an attempt up to <see cref="HubDownloadOptions.Attempts"/> times while it fails in a way worth retrying.</summary>
    private async Task<T> WithRetries<T>(string what, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken, string afterFailure = "")
    {
        for (int tries = 1; ; tries++)
        {
            try
            {
                return await attempt(cancellationToken);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken) && tries < options.Attempts)
            {
                await Task.Delay(options.RetryDelay * tries, cancellationToken);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                var network = e is HttpRequestException { StatusCode: null } ? " Check the network connection (or HF_ENDPOINT)." : "";
                throw new HubDownloadException($"{what} failed after {tries} attempts: {e.Message}.{network}{afterFailure}", e);
            }
        }
    }

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && e is HttpRequestException or IOException or HubDownloadException { Transient: true };

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        using (var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            stall.CancelAfter(options.StallTimeout);
            try
            {
                return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw Stalled();
            }
        }
    }

    private async Task<int> ReadAsync(Stream input, byte[] buffer, CancellationToken cancellationToken)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(options.StallTimeout);
        try
        {
            return await input.ReadAsync(buffer, stall.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Stalled();
        }
    }

    private HubDownloadException Stalled() =>
        new($"the connection stalled (nothing received for {options.StallTimeout.TotalSeconds:0} s)", transient: true);

    private void EnsureSuccess(HttpResponseMessage response, HubRepo repo, string? file)
    {
        if (response.IsSuccessStatusCode) return;
        var status = (int)response.StatusCode;
        var what = file is null ? repo.ToString() : $"{file} of {repo}";
        throw response.StatusCode switch
        {
            // The hub answers 401 for a repository that does not exist as well as for a private or gated one.
            HttpStatusCode.NotFound or HttpStatusCode.Unauthorized when file is null => new HubDownloadException(
                $"{repo} was not found on {Endpoint} (HTTP {status}): check the owner/name{(repo.Branch == HubRepo.DefaultBranch ? "" : " and the branch")}" +
                (response.StatusCode == HttpStatusCode.Unauthorized ? "; a private or gated model also needs HF_TOKEN set" : "")),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new HubDownloadException(
                $"{what}: access denied (HTTP {status}); for a gated model accept its license on the hub and set HF_TOKEN to a token that may read it"),
            HttpStatusCode.NotFound => new HubDownloadException($"{what} is listed but could not be found (HTTP 404)"),
            HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout or >= HttpStatusCode.InternalServerError =>
                new HubDownloadException($"{Endpoint} answered HTTP {status} {response.ReasonPhrase} for {what}", transient: true),
            _ => new HubDownloadException($"{Endpoint} answered HTTP {status} {response.ReasonPhrase} for {what}"),
        };
    }

    private HttpRequestMessage Request(string url)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("WebUI-studio", "1.0"));
        // Redirects to the file CDN drop this header (HttpClient never forwards credentials to another location).
        if (options.Token is { } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private string ResolveUrl(HubRepo repo, string file) =>
        $"{Endpoint}/{Escape(repo.Owner)}/{Escape(repo.Name)}/resolve/{Escape(repo.Branch)}/{Escape(file)}";

    private static string Escape(string part) => Uri.EscapeDataString(part);

    /// <summary>Adds the files' bytes up for progress reports, at most five a second except at file boundaries.</summary>
    private sealed class Tally(IReadOnlyList<HubFile> files, IProgress<DownloadProgress>? progress)
    {
        private readonly long[] totals = [.. files.Select(f => f.Size ?? 0)];
        private readonly Stopwatch sinceReport = Stopwatch.StartNew();
        private long finishedBytes;

        public void Report(int index, long fileBytes, long? fileTotal, bool force)
        {
            if (fileTotal is { } total) totals[index] = total;
            if (progress is null || (!force && sinceReport.ElapsedMilliseconds < 200)) return;
            sinceReport.Restart();
            progress.Report(new DownloadProgress(files[index].Name, fileBytes, totals[index], finishedBytes + fileBytes, totals.Sum(), index + 1, files.Count));
        }

        public void Finished(int index, long length)
        {
            Report(index, length, length, force: true);
            finishedBytes += length;
        }
    }
}
