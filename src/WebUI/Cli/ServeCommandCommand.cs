using System.CommandLine;
using WebUI.Engine.Adapters;

namespace WebUI.Cli;

/// <summary>`serve-command --model BASE --lora a,b`: prints the vLLM command that serves those adapters together.</summary>
public static class ServeCommandCommand
{
    public static Command Create()
    {
        var model = CliOptions.Required("--model", "The base model: its Hugging Face id or folder");
        var loras = CliOptions.Required("--lora", "Adapters in loras/ (or folders), comma-separated");
        var command = new Command("serve-command", "Print the vLLM command that serves the base model with these adapters, batched together") { model, loras };
        command.SetAction(parsed =>
        {
            var adapters = parsed.GetRequiredValue(loras).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(a => (Name: Path.GetFileName(Path.TrimEndingDirectorySeparator(a)), Folder: CliAdapters.FolderOf(a))).ToList();
            foreach (var (name, folder) in adapters)
                if (!Directory.Exists(folder)) throw new UsageException($"adapter '{name}' not found (looked for {folder})");
            Console.WriteLine(ServingCommands.Vllm(parsed.GetRequiredValue(model), adapters));
            return 0;
        });
        return command;
    }
}
