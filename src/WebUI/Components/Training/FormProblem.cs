namespace WebUI.Components.Training;

/// <summary>
/// The first thing wrong with the form, as the engine's Validate() words it, and the form field it belongs to so
/// the message can appear under that field (null: shown only above the Start Training button).
/// </summary>
public sealed record FormProblem(string? Field, string Message)
{
    // Validate() messages begin with the option's name; longer prefixes first ("micro batch size" before "batch size").
    private static readonly (string Prefix, string Field)[] Prefixes =
    [
        ("output name", nameof(TrainingForm.Name)), ("learning rate", nameof(TrainingForm.LearningRate)),
        ("warmup steps", nameof(TrainingForm.WarmupSteps)), ("epochs", nameof(TrainingForm.Epochs)),
        ("micro batch size", nameof(TrainingForm.MicroBatchSize)), ("batch size", nameof(TrainingForm.BatchSize)),
        ("max grad norm", nameof(TrainingForm.MaxGradNorm)), ("weight decay", nameof(TrainingForm.WeightDecay)),
        ("eval every", nameof(TrainingForm.EvalEvery)), ("save every", nameof(TrainingForm.SaveEvery)),
        ("stop at loss", nameof(TrainingForm.StopAtLoss)), ("resume and overwrite", nameof(TrainingForm.Overwrite)),
        ("lora rank", nameof(TrainingForm.LoraRank)), ("lora alpha", nameof(TrainingForm.LoraAlpha)),
        ("lora dropout", nameof(TrainingForm.LoraDropout)), ("lora target modules", nameof(TrainingForm.TargetModules)),
        ("dataset ", nameof(TrainingForm.Dataset)), ("format file", nameof(TrainingForm.Format)),
    ];

    // DatasetOptions names its parameter instead.
    private static readonly Dictionary<string, string> Parameters = new()
    {
        ["DatasetPath"] = nameof(TrainingForm.Dataset), ["Dataset"] = nameof(TrainingForm.Dataset),
        ["FormatPath"] = nameof(TrainingForm.Format), ["Cutoff"] = nameof(TrainingForm.Cutoff),
        ["Overlap"] = nameof(TrainingForm.Overlap), ["EvalFraction"] = nameof(TrainingForm.EvalFraction),
        ["EvalDatasetPath"] = nameof(TrainingForm.EvalDataset),
    };

    /// <summary>Null when <paramref name="validate"/> accepts the form, else its first complaint.</summary>
    public static FormProblem? Check(Action validate)
    {
        try
        {
            validate();
            return null;
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException)
        {
            return From(e);
        }
    }

    public static FormProblem From(Exception e)
    {
        var message = e.Message;
        string? field = null;
        if (e is ArgumentException { ParamName: { } parameter })
        {
            message = message.Replace($" (Parameter '{parameter}')", "");
            field = Parameters.GetValueOrDefault(parameter);
        }
        field ??= Prefixes.FirstOrDefault(p => message.StartsWith(p.Prefix, StringComparison.OrdinalIgnoreCase)).Field;
        return new FormProblem(field, message);
    }
}
