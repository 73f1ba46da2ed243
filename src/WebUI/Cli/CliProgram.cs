using System.CommandLine;
using System.CommandLine.Invocation;
using WebUI.Engine.Studio;

namespace WebUI.Cli;

/// <summary>
/// The command line. With no command it serves the web app (<see cref="ServerOptions"/>); generate, convert, train,
/// eval, inspect and bench are scriptable commands. Anything unrecognised is an error with a suggestion, never a server start.
/// Exit codes: 2 for a bad command line, 1 for a failure, otherwise the command's own.
/// </summary>
public static class CliProgram
{
    public static Task<int> RunAsync(string[] args) =>
        RunAsync(Create(ServeAsync, Environment.GetEnvironmentVariable(StartupOptions.ApiKeyVariable)), args, Console.Out, Console.Error);

    /// <summary>The whole command tree; the root's own action hands the server options to <paramref name="serve"/>.</summary>
    public static RootCommand Create(Func<StartupOptions, Task> serve, string? environmentApiKey)
    {
        var shared = new SharedOptions();
        var server = new ServerOptions(environmentApiKey);
        var root = new RootCommand("WebUI, a fine-tuning studio. With no command it serves the web app and the OpenAI-compatible API.")
        {
            GenerateCommand.Create(shared), ConvertCommand.Create(shared), TrainCommand.Create(shared), EvalCommand.Create(shared), InspectCommand.Create(shared),
            ExportAdapterCommand.Create(shared), ImportRunCommand.Create(), ServeCommandCommand.Create(), BenchCommand.Create(),
        };
        server.AddTo(root);
        root.SetAction(async parsed =>
        {
            await serve(server.Read(parsed));
            return 0;
        });
        return root;
    }

    public static async Task<int> RunAsync(RootCommand root, string[] args, TextWriter output, TextWriter error)
    {
        var parsed = root.Parse(args, CliOptions.Parsing);
        if (parsed.Action is ParseErrorAction parseError)
        {
            // The errors and "did you mean" suggestions, all on stderr; the help page would bury them.
            parseError.ShowHelp = false;
            await parsed.InvokeAsync(new InvocationConfiguration { Output = error, Error = error });
            return 2;
        }
        try
        {
            // Commands handle Ctrl+C themselves: train saves a checkpoint first, which may take longer than any timeout.
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
            });
        }
        catch (UsageException e)
        {
            error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e)
        {
            // One readable line, whatever failed: the first line of native (libtorch) messages is the useful one.
            error.WriteLine($"error: {e.Message.Split('\n')[0]}");
            return 1;
        }
    }

    // The app is put together in StudioApp.cs (services and endpoints go in its two marked regions), shared with the tests.
    private static async Task ServeAsync(StartupOptions startup)
    {
        await using var app = StudioApp.Build(startup, StudioPaths.ForCurrentDirectory());
        await app.RunAsync();
    }
}
