using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace WebUI.Tests.Cli;

/// <summary>README's "Command line" section against the real parser's help, so that neither can change without the other.</summary>
public sealed class ReadmeCommandLineTests
{
    [Fact]
    public async Task The_readme_names_every_command_and_every_option_that_help_lists()
    {
        var section = CommandLineSection();
        var missing = new List<string>();
        foreach (var command in CliHarness.CommandNames)
        {
            if (command != "" && !Regex.IsMatch(section, $@"-- {command}\b")) missing.Add(command);
            var (_, help, _) = await new CliHarness().Help(command);
            foreach (Match option in Regex.Matches(help, @"^\s+(?:-\S+, )*(--[a-z][a-z-]*)", RegexOptions.Multiline))
                if (!Regex.IsMatch(section, $@"{option.Groups[1].Value}(?![a-z-])")) missing.Add($"{(command == "" ? "(server)" : command)} {option.Groups[1].Value}");
        }
        Assert.True(missing.Count == 0, $"README's Command line section does not mention: {string.Join(", ", missing)}");
    }

    private static string CommandLineSection([CallerFilePath] string thisFile = "")
    {
        var dir = new DirectoryInfo(Path.GetDirectoryName(thisFile)!);
        while (!File.Exists(Path.Combine(dir.FullName, "WebUI.sln"))) dir = dir.Parent ?? throw new FileNotFoundException($"no WebUI.sln above {thisFile}");
        var readme = File.ReadAllText(Path.Combine(dir.FullName, "README.md"));
        var start = readme.IndexOf("\n## Command line", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has no \"## Command line\" section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return end < 0 ? readme[start..] : readme[start..end];
    }
}
