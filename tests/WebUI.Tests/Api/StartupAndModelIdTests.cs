using WebUI.Engine.Adapters;
using WebUI.Engine.Studio;

namespace WebUI.Tests.Api;

public sealed class ModelIdTests
{
    [Fact]
    public void The_base_id_means_the_defaults_and_adapters_mix_with_weights()
    {
        Assert.Null(ModelId.Parse("stories260K", "stories260K"));
        Assert.Equal([new AdapterWeight("sue", 1)], ModelId.Parse("sue", "base"));
        Assert.Equal([new AdapterWeight("a", 1), new AdapterWeight("b", 1)], ModelId.Parse("a+b", "base"));
        Assert.Equal([new AdapterWeight("a", 0.7), new AdapterWeight("b", 0.3)], ModelId.Parse("a:0.7+b:0.3", "base"));
        Assert.Equal([new AdapterWeight("c+d", 1)], ModelId.Parse("c+d", "base", name => name == "c+d"));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/b")]
    [InlineData("a:heavy")]
    [InlineData("a+")]
    [InlineData("a+a")]
    [InlineData("")]
    public void Malformed_ids_are_refused(string id) => Assert.Throws<ArgumentException>(() => ModelId.Parse(id, "base"));

    [Fact]
    public void The_command_lines_lora_list_is_the_same_syntax_with_commas_and_folder_paths()
    {
        var folder = Directory.CreateTempSubdirectory("lora-").FullName;
        try
        {
            Assert.Equal([new AdapterWeight("a", 0.5), new AdapterWeight("b", 1), new AdapterWeight(folder, 2)],
                WebUI.Cli.CliAdapters.Parse($"a:0.5, b,{folder}:2"));
            Assert.Empty(WebUI.Cli.CliAdapters.Parse(" "));
            Assert.StartsWith("--lora: 'heavy' is not a weight", Assert.Throws<ArgumentException>(() => WebUI.Cli.CliAdapters.Parse("a:heavy")).Message);
            Assert.Throws<ArgumentException>(() => WebUI.Cli.CliAdapters.Parse("../elsewhere"));
        }
        finally
        {
            Directory.Delete(folder);
        }
    }
}

public sealed class StartupOptionsTests
{
    [Fact]
    public void Defaults_are_loopback_with_loopback_host_names_and_no_key()
    {
        var o = StartupOptions.Parse([]);
        Assert.Equal("http://127.0.0.1:7860", o.Url);
        Assert.Null(o.ApiKey);
        Assert.Equal(StartupOptions.LoopbackHosts, o.AllowedHosts);
        Assert.Equal(new ServingLimits(16, 64, 8), o.Limits);
    }

    [Fact]
    public void Listen_needs_a_key_unless_insecure()
    {
        Assert.Contains("--api-key", Assert.Throws<ArgumentException>(() => StartupOptions.Parse(["--listen"])).Message);
        Assert.Equal(["*"], StartupOptions.Parse(["--listen", "--insecure-no-auth"]).AllowedHosts);
        var keyed = StartupOptions.Parse(["--listen", "--port", "8000", "--allowed-hosts", "a.example, b.example"], environmentApiKey: "k");
        Assert.Equal("k", keyed.ApiKey);
        Assert.Equal("http://0.0.0.0:8000", keyed.Url);
        Assert.Equal(["a.example", "b.example"], keyed.AllowedHosts);
    }

    [Fact]
    public void Serving_limits_and_the_model_flag_parse_and_unknown_flags_are_refused()
    {
        var o = StartupOptions.Parse(["--max-concurrent", "4", "--max-queue", "0", "--max-loras", "2", "--model", "m", "--api-key", "z"]);
        Assert.Equal(new ServingLimits(4, 0, 2), o.Limits);
        Assert.Equal("m", o.Model);
        Assert.Equal("z", o.ApiKey);
        Assert.Equal("--max-concurrent expects a whole number of at least 1 (got '0')",
            Assert.Throws<ArgumentException>(() => StartupOptions.Parse(["--max-concurrent", "0"])).Message);
        // ASP.NET settings no longer pass through: a typo must not start a server with the typo ignored.
        Assert.Contains("--urls", Assert.Throws<ArgumentException>(() => StartupOptions.Parse(["--urls", "x"])).Message);
    }
}
