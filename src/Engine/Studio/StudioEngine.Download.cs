using System.Collections.Concurrent;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Studio;

/// <summary>Downloading models from a Hugging Face hub into models/, as text-generation-webui's Model tab does.</summary>
public sealed partial class StudioEngine
{
    private static readonly HttpClient HubHttp = HubDownloader.CreateHttpClient();
    private readonly ConcurrentDictionary<string, HubRepo> downloads = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The hub to download from; by default huggingface.co, or HF_ENDPOINT and HF_TOKEN from the environment.</summary>
    public HubDownloadOptions Hub { get; init; } = HubDownloadOptions.FromEnvironment();

    /// <summary>Repositories downloading now.</summary>
    public IReadOnlyCollection<HubRepo> Downloads => [.. downloads.Values];

    /// <summary>
    /// Downloads <c>owner/name[:branch]</c> into models/owner_name (tgw's naming; _branch is appended for a branch other
    /// than main), resuming whatever an earlier attempt left. Throws ArgumentException for a malformed name and
    /// <see cref="HubDownloadException"/> with a readable reason when the hub or the network fails.
    /// </summary>
    public async Task<ModelEntry> DownloadModelAsync(string repo, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var parsed = HubRepo.Parse(repo, Hub.Endpoint);
        var folder = StudioPaths.Inside(Paths.Models, parsed.FolderName);
        if (!downloads.TryAdd(parsed.FolderName, parsed))
            throw new InvalidOperationException($"busy: {parsed} is already downloading");
        RaiseChanged();
        try
        {
            await new HubDownloader(HubHttp, Hub).DownloadAsync(parsed, folder, progress, cancellationToken);
            return ModelCatalog.Describe(folder);
        }
        finally
        {
            downloads.TryRemove(parsed.FolderName, out _);
            RaiseChanged();
        }
    }
}
