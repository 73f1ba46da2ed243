namespace WebUI.Engine.Training;

/// <summary>The tokenized training and evaluation sequences of a dataset, and what building them found.</summary>
public sealed record BuiltDataset(DatasetKind Kind, IReadOnlyList<TrainingExample> Train, IReadOnlyList<TrainingExample> Eval, DatasetReport Report);
