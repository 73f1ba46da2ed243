using WebUI.Engine.Loading;

namespace WebUI.Engine.Tests.Download;

/// <summary>Downloads from a fake hub on 127.0.0.1 through the engine's facade; the real hub is never contacted.</summary>
public sealed class HubDownloadTests(HubModelFixture model) : IClassFixture<HubModelFixture>
{
    private const string Weights = "model.safetensors";

    [Fact]
    public async Task Download_fetches_only_model_files_and_the_folder_loads_and_generates_like_the_original()
    {
        using var hub = new FakeHub();
        hub.AddRepo(HubModelFixture.Repo, model.Dir, "README.md", ".gitattributes", "pytorch_model.bin", "onnx/model.onnx");
        using var engine = HubModelFixture.Studio(hub);
        int changes = 0;
        engine.Changed += () => Interlocked.Increment(ref changes);
        var reports = new List<DownloadProgress>();

        var entry = await engine.DownloadModelAsync(HubModelFixture.Repo, new SyncProgress<DownloadProgress>(reports.Add));

        var folder = Path.Combine(engine.Paths.Models, HubModelFixture.Folder);
        Assert.Equal(folder, entry.Path);
        Assert.Null(entry.Error);
        Assert.Equal(model.FileNames.Append(HubDownloader.SourceFileName).Order(), Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        Assert.Equal(HubModelFixture.Repo, HubDownloader.RepoIdOf(folder)); // so a job exported from it names the hub id
        foreach (var name in model.FileNames)
            Assert.Equal(File.ReadAllBytes(Path.Combine(model.Dir, name)), File.ReadAllBytes(Path.Combine(folder, name)));
        Assert.DoesNotContain(hub.Requests, r => r.Path.EndsWith("README.md") || r.Path.EndsWith(".bin") || r.Path.Contains("onnx"));
        Assert.True(changes >= 1, "Changed was not raised");
        Assert.Contains(engine.ListModels(), m => m.Name == HubModelFixture.Folder && m.Error is null);

        var last = reports[^1];
        long all = model.FileNames.Sum(n => new FileInfo(Path.Combine(model.Dir, n)).Length);
        Assert.Equal((all, all, last.FileCount), (last.AllBytes, last.AllTotal, last.FileIndex));
        Assert.Equal(model.FileNames.Length, last.FileCount);
        Assert.Contains(reports, r => r.File == Weights && r.FileTotal == new FileInfo(Path.Combine(model.Dir, Weights)).Length);

        var downloaded = await HubModelFixture.GreedyStory(engine, HubModelFixture.Folder);
        var original = await HubModelFixture.GreedyStory(engine, model.Dir);
        Assert.StartsWith(", there was a little girl named Lily", downloaded);
        Assert.Equal(original, downloaded);
    }

    [Fact]
    public async Task Dropped_connection_is_resumed_with_a_range_request_and_yields_an_identical_file()
    {
        using var hub = new FakeHub();
        hub.AddRepo(HubModelFixture.Repo, model.Dir);
        hub.DropTransfers(Weights, afterBytes: 300_000);
        using var engine = HubModelFixture.Studio(hub);

        await engine.DownloadModelAsync(HubModelFixture.Repo);

        var requests = hub.FileRequests(Weights);
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Range);
        var resumedAt = long.Parse(requests[1].Range!["bytes=".Length..^1]);
        Assert.InRange(resumedAt, 1, 300_000);
        AssertSameFile(Weights, engine);
    }

    [Fact]
    public async Task Failed_download_keeps_only_the_partial_file_and_the_next_download_resumes_it()
    {
        using var hub = new FakeHub();
        hub.AddRepo(HubModelFixture.Repo, model.Dir);
        hub.DropTransfers(Weights, afterBytes: 200_000, times: 2);
        using var engine = HubModelFixture.Studio(hub, attempts: 2);
        var folder = Path.Combine(engine.Paths.Models, HubModelFixture.Folder);

        var error = await Assert.ThrowsAsync<HubDownloadException>(() => engine.DownloadModelAsync(HubModelFixture.Repo));
        Assert.Contains(Weights, error.Message);
        Assert.Contains("download again to resume", error.Message);
        Assert.False(File.Exists(Path.Combine(folder, Weights)), "a truncated weights file got its final name");
        var kept = new FileInfo(Path.Combine(folder, Weights + HubDownloader.PartialSuffix));
        Assert.InRange(kept.Length, 1, 400_000);
        Assert.Contains(engine.ListModels(), m => m.Name == HubModelFixture.Folder && m.Error is not null);

        int before = hub.Requests.Count;
        await engine.DownloadModelAsync(HubModelFixture.Repo);

        var again = hub.Requests.Skip(before).ToList();
        Assert.Contains(again, r => r.Path.EndsWith(Weights) && r.Range == $"bytes={kept.Length}-");
        Assert.DoesNotContain(again, r => r.Path.EndsWith("config.json")); // complete files are skipped
        AssertSameFile(Weights, engine);
        Assert.False(File.Exists(kept.FullName));
    }

    public enum KeptPartial { Prefix, Whole, Garbage, PrefixButHubIgnoresRanges }

    [Theory]
    [InlineData(KeptPartial.Prefix)]
    [InlineData(KeptPartial.Whole)]
    [InlineData(KeptPartial.Garbage)]
    [InlineData(KeptPartial.PrefixButHubIgnoresRanges)]
    public async Task Any_kept_partial_file_ends_as_the_identical_file(KeptPartial kind)
    {
        using var hub = new FakeHub { IgnoreRanges = kind == KeptPartial.PrefixButHubIgnoresRanges };
        hub.AddRepo(HubModelFixture.Repo, model.Dir);
        using var engine = HubModelFixture.Studio(hub);
        var folder = Directory.CreateDirectory(Path.Combine(engine.Paths.Models, HubModelFixture.Folder)).FullName;
        var bytes = File.ReadAllBytes(Path.Combine(model.Dir, Weights));
        // Garbage: the right length of a prefix but wrong bytes, which only the listed SHA-256 can tell.
        File.WriteAllBytes(Path.Combine(folder, Weights + HubDownloader.PartialSuffix), kind switch
        {
            KeptPartial.Whole => bytes,
            KeptPartial.Garbage => new byte[1000],
            _ => bytes[..1000],
        });

        await engine.DownloadModelAsync(HubModelFixture.Repo);

        AssertSameFile(Weights, engine);
        Assert.Equal($"bytes={(kind == KeptPartial.Whole ? bytes.Length : 1000)}-", hub.FileRequests(Weights)[0].Range);
    }

    [Theory]
    [InlineData("stories260K")]
    [InlineData("a/b/c")]
    [InlineData("../models")]
    [InlineData("owner/..")]
    [InlineData("owner/na me")]
    [InlineData("owner/.hidden")]
    [InlineData("owner/name:feature/x")]
    [InlineData("owner/name:")]
    [InlineData("")]
    public async Task Malformed_repository_names_are_rejected_before_contacting_the_hub(string repo)
    {
        using var hub = new FakeHub();
        using var engine = HubModelFixture.Studio(hub);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => engine.DownloadModelAsync(repo));

        Assert.Matches("owner/name|branch", error.Message);
        Assert.Empty(hub.Requests);
        Assert.Empty(Directory.GetFileSystemEntries(engine.Paths.Models));
    }

    [Theory]
    [InlineData("HuggingFaceTB/SmolLM2-135M-Instruct", "HuggingFaceTB", "SmolLM2-135M-Instruct", "main", "HuggingFaceTB_SmolLM2-135M-Instruct")]
    [InlineData(" https://huggingface.co/Qwen/Qwen2.5-0.5B/ ", "Qwen", "Qwen2.5-0.5B", "main", "Qwen_Qwen2.5-0.5B")]
    [InlineData("owner/name:v1.0", "owner", "name", "v1.0", "owner_name_v1.0")]
    public void Repository_names_parse_to_tgw_folder_names(string text, string owner, string name, string branch, string folder)
    {
        var repo = HubRepo.Parse(text);
        Assert.Equal((owner, name, branch, folder), (repo.Owner, repo.Name, repo.Branch, repo.FolderName));
    }

    [Fact]
    public async Task Unknown_repository_is_reported_as_not_found_and_creates_no_folder()
    {
        using var hub = new FakeHub();
        using var engine = HubModelFixture.Studio(hub);

        var error = await Assert.ThrowsAsync<HubDownloadException>(() => engine.DownloadModelAsync("nobody/nothing"));

        Assert.Contains("nobody/nothing was not found", error.Message);
        Assert.Contains("404", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(engine.Paths.Models));
    }

    [Fact]
    public async Task Repository_without_safetensors_is_refused_with_the_reason()
    {
        var dir = TinyModels.TempDir();
        File.Copy(Path.Combine(model.Dir, "config.json"), Path.Combine(dir, "config.json"));
        using var hub = new FakeHub();
        hub.AddRepo("old/pytorch-only", dir, "pytorch_model.bin");
        using var engine = HubModelFixture.Studio(hub);

        var error = await Assert.ThrowsAsync<HubDownloadException>(() => engine.DownloadModelAsync("old/pytorch-only"));

        Assert.Contains("no .safetensors weights (only pytorch_model.bin)", error.Message);
        Assert.DoesNotContain(hub.Requests, r => r.Path.Contains("/resolve/"));
    }

    [Fact]
    public async Task Unreachable_hub_is_reported_as_a_network_failure()
    {
        string endpoint;
        using (var gone = new FakeHub()) endpoint = gone.Endpoint; // a port nothing listens on any more
        using var engine = new Studio.StudioEngine(new Studio.StudioPaths(TinyModels.TempDir()))
        {
            Hub = new HubDownloadOptions { Endpoint = endpoint, Attempts = 2, RetryDelay = TimeSpan.FromMilliseconds(10) },
        };

        var error = await Assert.ThrowsAsync<HubDownloadException>(() => engine.DownloadModelAsync(HubModelFixture.Repo));

        Assert.Contains("failed after 2 attempts", error.Message);
        Assert.Contains("Check the network connection", error.Message);
    }

    private void AssertSameFile(string name, Studio.StudioEngine engine)
    {
        var folder = Path.Combine(engine.Paths.Models, HubModelFixture.Folder);
        Assert.Equal(File.ReadAllBytes(Path.Combine(model.Dir, name)), File.ReadAllBytes(Path.Combine(folder, name)));
        Assert.False(File.Exists(Path.Combine(folder, name + HubDownloader.PartialSuffix)), "the partial file was left behind");
    }
}
