namespace WebUI.Engine.Training;

/// <summary>A dataset or format file that cannot be used; the message names the file, the row (1-based) and the field.</summary>
public sealed class DatasetException(string message) : Exception(message);
