namespace WebUI.Engine.Generation;

/// <summary>One turn of a conversation. Roles are "system", "user" and "assistant", as chat templates expect.</summary>
public sealed record ChatMessage(string Role, string Content);
