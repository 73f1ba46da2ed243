using WebUI.Engine.Generation;
using WebUI.Services;

namespace WebUI.Components.Chat;

/// <summary>A message on screen; an assistant turn grows while its reply streams in.</summary>
public sealed class ChatTurn(string role, string content)
{
    public string Role { get; } = role;
    public string Content { get; set; } = content;
    public FinishReason? Finish { get; set; }
    public double? TokensPerSecond { get; set; }

    public bool IsAssistant => Role == "assistant";

    public ChatMessage ToMessage() => new(Role, Content);

    public ChatLogMessage ToLog() => new(Role, Content, Finish?.ToString(), TokensPerSecond);

    public static ChatTurn FromLog(ChatLogMessage m) => new(m.Role, m.Content)
    {
        Finish = Enum.TryParse<FinishReason>(m.FinishReason, out var finish) ? finish : null,
        TokensPerSecond = m.TokensPerSecond,
    };

    /// <summary>Why the reply ended, in words.</summary>
    public static string Describe(FinishReason reason) => reason switch
    {
        FinishReason.Length => "reached max new tokens",
        FinishReason.EndOfSequence => "end of text",
        FinishReason.StopString => "stop string",
        FinishReason.Cancelled => "stopped",
        _ => reason.ToString(),
    };
}
