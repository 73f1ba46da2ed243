using System.Globalization;

namespace WebUI.Engine.Training;

/// <summary>Which weights become a run's output when it has an eval set.</summary>
public enum KeptWeights
{
    /// <summary>Those of the step with the lowest eval loss (the output of the last step when there is no eval set).</summary>
    Best,
    /// <summary>Those of the last step.</summary>
    Last,
}

/// <summary>
/// Watches eval loss against train loss: says when an evaluation is the best so far (its weights are then kept), and
/// warns once eval loss has risen for 3 evaluations in a row while train loss fell, naming the step it began to rise
/// after: the model is learning its training set by heart.
/// </summary>
public sealed class OverfittingWatch
{
    private const int RisesToWarn = 3;
    private readonly List<(int Step, double Train, double Eval)> evaluations = [];

    public (int Step, double Loss)? Best { get; private set; }

    /// <summary>Records an evaluation; returns whether it is the best so far and, when overfitting shows, the warning.</summary>
    public (bool IsBest, string? Warning) Observe(int step, double trainLoss, double evalLoss)
    {
        evaluations.Add((step, trainLoss, evalLoss));
        bool best = Best is not { } b || evalLoss < b.Loss;
        if (best) Best = (step, evalLoss);
        if (evaluations.Count <= RisesToWarn) return (best, null);
        var recent = evaluations[^(RisesToWarn + 1)..];
        bool evalRose = Enumerable.Range(1, RisesToWarn).All(i => recent[i].Eval > recent[i - 1].Eval);
        bool trainFell = recent[^1].Train < recent[0].Train;
        return (best, evalRose && trainFell ? string.Create(CultureInfo.InvariantCulture,
            $"overfitting: eval loss has risen for {RisesToWarn} evaluations since step {recent[0].Step} ({recent[0].Eval:F4} → {recent[^1].Eval:F4}) while train loss fell; the best weights (step {Best!.Value.Step}) are kept") : null);
    }
}
