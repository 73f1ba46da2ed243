namespace WebUI.Engine.Training;

/// <summary>How a dataset file is read: plain text, rows rendered through a format file, or conversations.</summary>
public enum DatasetKind { RawText, Formatted, Chat }
