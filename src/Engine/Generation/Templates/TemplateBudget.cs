using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace WebUI.Engine.Generation;

/// <summary>What one render has spent of its <see cref="TemplateLimits"/>: loop iterations, nesting depth and time.</summary>
internal sealed class TemplateBudget(TemplateLimits limits, CancellationToken cancel)
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private int _iterations;
    private int _depth;

    public TemplateLimits Limits { get; } = limits;

    public void CountIteration()
    {
        if (++_iterations > Limits.MaxLoopIterations)
            throw new TemplateException($"loops ran more than the limit of {Limits.MaxLoopIterations} iterations");
        CheckTime();
    }

    /// <summary>One level deeper; pair with <see cref="Leave"/>. Also the guard against a stack overflow on small thread stacks.</summary>
    public void Enter()
    {
        if (++_depth > Limits.MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack()) throw Limits.TooDeep();
        CheckTime();
    }

    public void Leave() => _depth--;

    /// <summary>Throws unless <paramref name="chars"/> characters of output are allowed; call before appending.</summary>
    public void CheckOutput(long chars)
    {
        if (chars > Limits.MaxOutputChars) throw new TemplateException($"the output is over the limit of {Limits.MaxOutputChars} characters");
    }

    private void CheckTime()
    {
        cancel.ThrowIfCancellationRequested();
        if (Stopwatch.GetElapsedTime(_started) > Limits.MaxRenderTime)
            throw new TemplateException($"rendering took longer than the limit of {Limits.MaxRenderTime.TotalSeconds:0.###} s");
    }
}
