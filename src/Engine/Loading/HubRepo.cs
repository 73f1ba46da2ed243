using System.Text.RegularExpressions;

namespace WebUI.Engine.Loading;

/// <summary>
/// A Hugging Face model repository as users type it, text-generation-webui style: <c>owner/name</c> or
/// <c>owner/name:branch</c> (a pasted hub URL works too). Every part is a plain name, so none can reach outside
/// the models folder or change the URLs built from it.
/// </summary>
public sealed partial record HubRepo(string Owner, string Name, string Branch)
{
    public const string DefaultBranch = "main";

    public string Id => $"{Owner}/{Name}";

    /// <summary>tgw's folder name: owner_name, plus _branch for a branch other than main.</summary>
    public string FolderName => Branch == DefaultBranch ? $"{Owner}_{Name}" : $"{Owner}_{Name}_{Branch}";

    public override string ToString() => Branch == DefaultBranch ? Id : $"{Id}:{Branch}";

    /// <summary>Parses <c>owner/name[:branch]</c>; ArgumentException says what a valid name looks like.</summary>
    public static HubRepo Parse(string text, string endpoint = HubDownloadOptions.DefaultEndpoint)
    {
        var trimmed = (text ?? "").Trim().TrimEnd('/');
        // A URL copied from the hub's page is accepted as well as the bare id.
        foreach (var prefix in new[] { endpoint.TrimEnd('/') + "/", HubDownloadOptions.DefaultEndpoint + "/" })
            if (trimmed.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) trimmed = trimmed[prefix.Length..];

        var colon = trimmed.IndexOf(':');
        var id = colon < 0 ? trimmed : trimmed[..colon];
        var branch = colon < 0 ? DefaultBranch : trimmed[(colon + 1)..];
        var parts = id.Split('/');
        if (parts.Length != 2 || !IsPlainPart(parts[0]) || !IsPlainPart(parts[1]))
            throw new ArgumentException(
                $"'{text}' is not a model repository: use owner/name or owner/name:branch, e.g. HuggingFaceTB/SmolLM2-135M-Instruct " +
                "(letters, digits, '-', '_' and '.' only)");
        if (!IsPlainPart(branch))
            throw new ArgumentException($"'{branch}' is not a valid branch name: use letters, digits, '-', '_' and '.' only");
        return new HubRepo(parts[0], parts[1], branch);
    }

    private static bool IsPlainPart(string part) => part.Length <= 96 && PlainPart().IsMatch(part) && !part.Contains("..");

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex PlainPart();
}

/// <summary>Where the hub is and how patient to be with it. Tests point <see cref="Endpoint"/> at a local fake hub.</summary>
public sealed record HubDownloadOptions
{
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Base URL of the hub; the default honours HF_ENDPOINT as the huggingface_hub library does.</summary>
    public string Endpoint { get; init; } = DefaultEndpoint;
    /// <summary>Bearer token for gated or private repositories; the default reads HF_TOKEN.</summary>
    public string? Token { get; init; }
    /// <summary>Tries per request before giving up; each retry of a file resumes where the last one stopped.</summary>
    public int Attempts { get; init; } = 5;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>A connection that sends nothing for this long counts as dropped.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public static HubDownloadOptions FromEnvironment() => new()
    {
        Endpoint = Environment.GetEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } endpoint ? endpoint.TrimEnd('/') : DefaultEndpoint,
        Token = Environment.GetEnvironmentVariable("HF_TOKEN") is { Length: > 0 } token ? token : null,
    };
}

/// <summary>
/// How far a download is: the current file (<see cref="FileIndex"/> counts from 1 to <see cref="FileCount"/>) and all
/// files together. Totals are 0 while the hub has not said a size.
/// </summary>
public sealed record DownloadProgress(string File, long FileBytes, long FileTotal, long AllBytes, long AllTotal, int FileIndex, int FileCount);

/// <summary>A download that cannot go on; the message says why and what to do.</summary>
public sealed class HubDownloadException(string message, Exception? inner = null, bool transient = false) : Exception(message, inner)
{
    /// <summary>Worth retrying (dropped connection, server error, short or corrupt file).</summary>
    public bool Transient { get; } = transient;
}
