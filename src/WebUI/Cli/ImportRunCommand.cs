using System.CommandLine;
using System.Text.Json;
using WebUI.Engine.Studio;
using WebUI.Engine.Training;

namespace WebUI.Cli;

/// <summary>`import-run DIR [--name NAME] [--overwrite]`: a run trained elsewhere into loras/ or models/, one JSON line of what came in.</summary>
public static class ImportRunCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("DIR") { Description = "An axolotl, LLaMA-Factory or Hugging Face Trainer output folder" };
        var name = CliOptions.OptionalText("--name", "Name in loras/ (an adapter) or models/ (a full model)", "the folder's name");
        var overwrite = CliOptions.Flag("--overwrite", "Replace an existing one of that name (the old one is kept as a backup)");
        var command = new Command("import-run", "Bring back a run trained elsewhere: its adapter or model, and its loss curves from trainer_state.json")
        {
            folder, name, overwrite,
        };
        command.SetAction(parsed =>
        {
            var run = RunImport.Import(parsed.GetRequiredValue(folder), StudioPaths.ForCurrentDirectory(), parsed.GetValue(name), parsed.GetValue(overwrite));
            Console.WriteLine(JsonSerializer.Serialize(run, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
            return 0;
        });
        return command;
    }
}
