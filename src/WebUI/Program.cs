using WebUI.Cli;

return await CliProgram.RunAsync(args);
