namespace WebUI.Engine.Training;

/// <summary>
/// One training sequence. <c>Targets[i]</c> is true when token i is predicted (the loss compares logits[i-1] with
/// InputIds[i]); <c>Targets[0]</c> is always false since nothing precedes it. <see cref="SourceRow"/> is the 1-based
/// row (for raw text, the hard-cut section) the sequence came from.
/// </summary>
public sealed record TrainingExample(int[] InputIds, bool[] Targets, int SourceRow);
