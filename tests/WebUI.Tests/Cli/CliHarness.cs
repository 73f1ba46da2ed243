using System.CommandLine;
using WebUI.Cli;

namespace WebUI.Tests.Cli;

/// <summary>The real command tree run in-process with captured output; the server is a stand-in that records what it was asked to serve.</summary>
internal sealed class CliHarness(string? environmentApiKey = null)
{
    /// <summary>"" is the root command (the server); the others are the subcommands.</summary>
    public static readonly TheoryData<string> CommandNames = ["", "generate", "convert", "export-adapter", "train", "eval", "inspect", "import-run", "serve-command", "bench"];

    public List<StartupOptions> Served { get; } = [];

    public async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var root = CliProgram.Create(startup => { Served.Add(startup); return Task.CompletedTask; }, environmentApiKey);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliProgram.RunAsync(root, args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    public Task<(int Code, string Output, string Error)> Help(string command) => command == "" ? Run("--help") : Run(command, "--help");

    public static Command Command(string name)
    {
        var root = CliProgram.Create(_ => Task.CompletedTask, null);
        return name == "" ? root : root.Subcommands.Single(c => c.Name == name);
    }
}
