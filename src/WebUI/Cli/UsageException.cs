namespace WebUI.Cli;

/// <summary>A bad command line found only while running (an unknown bench case, a missing model folder); printed as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
