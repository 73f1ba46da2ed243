using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text.RegularExpressions;

namespace WebUI.Tests.Cli;

public sealed class CommandLineTests
{
    private readonly CliHarness cli = new();

    [Theory]
    [MemberData(nameof(CliHarness.CommandNames), MemberType = typeof(CliHarness))]
    public async Task Help_lists_every_option_with_its_default(string name)
    {
        var (code, output, error) = await cli.Help(name);
        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Empty(cli.Served);
        foreach (var option in CliHarness.Command(name).Options.Where(o => o is not HelpOption and not VersionOption))
        {
            var row = HelpRow(output, option.Name);
            if (option.Required) Assert.Contains("(REQUIRED)", row);
            else if (option.ValueType == typeof(bool)) continue; // a flag: off unless given
            else if (option.HasDefaultValue) Assert.Contains($"[default: {Convert.ToString(option.GetDefaultValue(), CultureInfo.InvariantCulture)}]", row);
            else Assert.Matches(@"\[default: [^\]]+\]$", row);
        }
    }

    [Fact]
    public async Task A_mistyped_command_suggests_the_right_one_and_starts_no_server()
    {
        var (code, _, error) = await cli.Run("genrate");
        Assert.Equal(2, code);
        Assert.Matches(new Regex(@"did you mean.*\bgenerate\b", RegexOptions.IgnoreCase | RegexOptions.Singleline), error);
        Assert.Empty(cli.Served);
    }

    [Fact]
    public async Task A_mistyped_option_suggests_the_right_one()
    {
        var (code, _, error) = await cli.Run("generate", "--model", "m", "--prompt", "p", "--sed", "3");
        Assert.Equal(2, code);
        Assert.Matches(new Regex(@"did you mean.*--seed\b", RegexOptions.IgnoreCase | RegexOptions.Singleline), error);

        (code, _, _) = await cli.Run("--prot", "8000");
        Assert.Equal(2, code);
        Assert.Empty(cli.Served);
    }

    [Fact]
    public async Task Version_prints_the_version_and_starts_no_server()
    {
        var (code, output, _) = await cli.Run("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", output);
        Assert.Empty(cli.Served);
    }

    [Fact]
    public async Task A_bad_number_is_a_usage_error_naming_the_option()
    {
        var (code, _, error) = await cli.Run("train", "--model", "m", "--dataset", "d", "--output", "o", "--epochs", "x");
        Assert.Equal(2, code);
        Assert.Equal("--epochs expects a number, got 'x'", error.Trim());
    }

    [Fact]
    public async Task Bad_choices_keep_their_messages()
    {
        var (code, _, error) = await cli.Run("train", "--model", "m", "--dataset", "d", "--output", "o", "--method", "half", "--scheduler", "steps");
        Assert.Equal(2, code);
        Assert.Contains("--method must be lora or full, got 'half'", error);
        Assert.Contains("--scheduler must be constant, constant_with_warmup, linear or cosine, got 'steps'", error);
    }

    [Fact]
    public async Task Failures_while_running_are_one_line_with_exit_code_1_and_usage_found_late_exit_code_2()
    {
        var (code, _, error) = await cli.Run("eval", "--model", "m", "--text", Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}.txt"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Single(error.Trim().Split('\n'));

        (code, _, error) = await cli.Run("bench", "--case", "nope", "--stories", "s", "--tokenizer", "t");
        Assert.Equal(2, code);
        Assert.StartsWith("error: unknown bench case 'nope'", error);
    }

    [Fact]
    public async Task No_command_serves_loopback_7860_by_default()
    {
        var (code, _, _) = await cli.Run();
        Assert.Equal(0, code);
        var served = Assert.Single(cli.Served);
        Assert.Equal("http://127.0.0.1:7860", served.Url);
        Assert.Null(served.ApiKey);
        Assert.Equal(StartupOptions.LoopbackHosts, served.AllowedHosts);
    }

    [Fact]
    public async Task Listen_needs_a_key_from_the_flag_or_the_environment()
    {
        var (code, _, error) = await cli.Run("--listen");
        Assert.Equal(2, code);
        Assert.Contains("--api-key", error);
        Assert.Empty(cli.Served);

        Assert.Equal(0, (await cli.Run("--listen", "--api-key", "K", "--port", "8000", "--model", "m")).Code);
        var served = Assert.Single(cli.Served);
        Assert.Equal(("http://0.0.0.0:8000", "K", "m"), (served.Url, served.ApiKey, served.Model));
        Assert.Equal(["*"], served.AllowedHosts);

        var keyed = new CliHarness(environmentApiKey: "k");
        Assert.Equal(0, (await keyed.Run("--listen")).Code);
        Assert.Equal("k", Assert.Single(keyed.Served).ApiKey);
    }

    /// <summary>The help row of one option, its wrapped lines joined.</summary>
    private static string HelpRow(string help, string name)
    {
        var lines = help.Split('\n').Select(l => l.TrimEnd()).ToList();
        var start = lines.FindIndex(l => Regex.IsMatch(l, $@"^\s+(-\S+, )*{Regex.Escape(name)}(\s|$)"));
        Assert.True(start >= 0, $"help has no row for {name}:\n{help}");
        var row = lines.Skip(start + 1).TakeWhile(l => l.Length > 0 && !Regex.IsMatch(l, @"^\s+-")).Aggregate(lines[start], (a, l) => $"{a} {l.Trim()}");
        return Regex.Replace(row.Trim(), @"\s+", " ");
    }
}
