namespace WebUI.Cli;

/// <summary>The app's scriptable commands: generate, convert, train, eval, bench. Anything else starts the web server.</summary>
public static class CliProgram
{
    private static readonly Dictionary<string, Func<string[], Task<int>>> Commands = new()
    {
        ["generate"] = GenerateCommand.RunAsync,
        ["convert"] = ConvertCommand.RunAsync,
        ["train"] = TrainCommand.RunAsync,
        ["eval"] = EvalCommand.RunAsync,
        ["bench"] = BenchCommand.RunAsync,
    };

    public static bool IsCommand(string[] args) => args.Length > 0 && Commands.ContainsKey(args[0]);

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            return await Commands[args[0]](args[1..]);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e)
        {
            // One readable line, whatever failed: the first line of native (libtorch) messages is the useful one.
            Console.Error.WriteLine($"error: {e.Message.Split('\n')[0]}");
            return 1;
        }
    }
}
