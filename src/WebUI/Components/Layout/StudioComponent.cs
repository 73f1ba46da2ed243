using Microsoft.AspNetCore.Components;
using WebUI.Engine.Studio;

namespace WebUI.Components.Layout;

/// <summary>
/// A component that shows engine state: it re-reads (<see cref="Refresh"/>) and re-renders whenever the loaded model
/// or its adapters change and when a training job starts or ends (a finished job leaves a new adapter or model).
/// </summary>
public abstract class StudioComponent : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource lifetime = new();

    [Inject] protected StudioEngine Engine { get; set; } = default!;

    /// <summary>Cancelled when the component goes away (tab closed or left): for work that only this page wants.</summary>
    protected CancellationToken Lifetime => lifetime.Token;

    protected override void OnInitialized()
    {
        Engine.Changed += OnEngineChanged;
        Engine.TrainingEvents += OnTrainingEvent;
        Refresh();
    }

    /// <summary>Re-reads what the component lists from the engine (runs on the renderer's thread).</summary>
    protected virtual void Refresh() { }

    private void OnEngineChanged() => InvokeAsync(() =>
    {
        Refresh();
        StateHasChanged();
    });

    // Progress events are many and change nothing listed here.
    private void OnTrainingEvent(TrainingEvent e)
    {
        if (e.Kind != TrainingEventKind.Progress && e.Kind != TrainingEventKind.Log) OnEngineChanged();
    }

    public virtual void Dispose()
    {
        Engine.Changed -= OnEngineChanged;
        Engine.TrainingEvents -= OnTrainingEvent;
        lifetime.Cancel();
        lifetime.Dispose();
        GC.SuppressFinalize(this);
    }
}
