namespace WebUI.Engine.Generation;

/// <summary>
/// A chat template that does not parse (the message names the template, line and column) or that refused to render
/// a conversation (its raise_exception message, or the operation it could not do).
/// </summary>
public sealed class TemplateException(string message) : Exception(message)
{
    internal static TemplateException Syntax(string template, JinjaPosition at, string problem) =>
        new($"chat template '{template}', line {at.Line}, column {at.Column}: {problem}");

    internal static TemplateException Render(string template, string problem) =>
        new($"chat template '{template}': {problem}");
}
