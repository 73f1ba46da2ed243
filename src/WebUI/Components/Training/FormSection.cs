using Microsoft.AspNetCore.Components;

namespace WebUI.Components.Training;

/// <summary>A part of the Training form: edits the shared <see cref="TrainingForm"/> and reports each change to the page.</summary>
public abstract class FormSection : ComponentBase
{
    [Parameter, EditorRequired] public TrainingForm Form { get; set; } = default!;
    /// <summary>The form's first problem; shown under its field when it belongs to this section.</summary>
    [Parameter] public FormProblem? Problem { get; set; }
    [Parameter] public EventCallback OnChanged { get; set; }
    [Parameter] public bool Disabled { get; set; }

    protected bool HasError(string field) => Problem?.Field == field;
    protected string? ErrorText(string field) => HasError(field) ? Problem!.Message : null;
    /// <summary>Applies one edit and tells the page, which re-validates and re-checks the dataset.</summary>
    protected Task SetAsync(Action set)
    {
        set();
        return OnChanged.InvokeAsync();
    }
}
