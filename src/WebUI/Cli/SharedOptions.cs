using System.CommandLine;

namespace WebUI.Cli;

/// <summary>Options that several commands take, declared once so that each command reads the same --model and --lora.</summary>
public sealed class SharedOptions
{
    public Option<string> Model { get; } = CliOptions.Required("--model", "Model to load: a Hugging Face folder, a .gguf file or a llama2.c checkpoint");

    public Option<string?> Lora { get; } = CliOptions.OptionalText("--lora",
        "Adapters to apply, NAME[:WEIGHT][,NAME2...]: folders in loras/ or paths, weight 1 unless given", "none");
}
