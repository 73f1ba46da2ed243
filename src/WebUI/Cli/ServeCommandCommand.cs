using System.CommandLine;
using WebUI.Engine.Adapters;

namespace WebUI.Cli;

/// <summary>`serve-command --model BASE --lora a,b [--engine vllm|llama-server]`: prints the command that serves those adapters together.</summary>
public static class ServeCommandCommand
{
    public static Command Create()
    {
        var model = CliOptions.Required("--model", "The base model: its Hugging Face id or folder");
        var loras = CliOptions.Required("--lora", "Adapters in loras/ (or folders), comma-separated");
        var engine = CliOptions.Text("--engine", "vllm (GPU machines, batches the adapters together) or llama-server (llama.cpp on GGUF files)", "vllm");
        var command = new Command("serve-command", "Print the command that serves the base model with these adapters: vLLM or llama.cpp's llama-server") { model, loras, engine };
        command.SetAction(parsed =>
        {
            var adapters = parsed.GetRequiredValue(loras).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(a => (Name: Path.GetFileName(Path.TrimEndingDirectorySeparator(a)), Folder: CliAdapters.FolderOf(a))).ToList();
            foreach (var (name, folder) in adapters)
                if (!Directory.Exists(folder)) throw new UsageException($"adapter '{name}' not found (looked for {folder})");
            Console.WriteLine(parsed.GetValue(engine) switch
            {
                "vllm" => ServingCommands.Vllm(parsed.GetRequiredValue(model), adapters),
                "llama-server" => ServingCommands.LlamaServer(parsed.GetRequiredValue(model), adapters),
                var other => throw new UsageException($"--engine must be vllm or llama-server (got '{other}')"),
            });
            return 0;
        });
        return command;
    }
}
