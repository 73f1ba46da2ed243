namespace WebUI.Engine.Loading;

/// <summary>A model, tokenizer or weight file that cannot be used; the message names the file and what is wrong.</summary>
public sealed class InvalidModelException(string message, Exception? inner = null) : Exception(message, inner);
