using System.Text.Json;
using WebUI.Engine.Generation;

namespace WebUI.Api;

/// <summary>
/// A /v1/completions or /v1/chat/completions body, checked field by field so that a 400 names the bad one
/// (<c>param</c>). Unknown fields are ignored. Defaults: temperature 1 and top_p 1 as OpenAI's; max_tokens 16 for
/// completions (OpenAI's legacy default) and, for chat, up to 512 tokens within what the context leaves (null here).
/// </summary>
public sealed record ApiRequest(string? Model, string? Prompt, IReadOnlyList<ChatMessage>? Messages, string? ChatTemplate,
    bool Stream, bool IncludeUsage, int? MaxTokens, GenerationOptions Options)
{
    public const int CompletionDefaultMaxTokens = 16;
    public const int MaxTopLogprobs = 5;
    private static readonly string[] Roles = ["system", "user", "assistant"];

    public static ApiRequest Parse(JsonElement body, bool chat)
    {
        if (body.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("the request body must be a JSON object", null);
        var n = Int(body, "n", 1, int.MaxValue);
        if (n is not (null or 1)) throw ApiException.BadRequest("only n = 1 is supported", "n");
        var maxTokens = (chat ? Int(body, "max_completion_tokens", 1, int.MaxValue, "must be at least 1") : null) ?? Int(body, "max_tokens", 1, int.MaxValue, "must be at least 1");
        int? logprobs = chat
            ? Bool(body, "logprobs") == true ? Int(body, "top_logprobs", 0, MaxTopLogprobs) ?? 0 : null
            : Int(body, "logprobs", 0, MaxTopLogprobs);
        var options = new GenerationOptions
        {
            Temperature = Number(body, "temperature", 0, 2) ?? 1f,
            TopP = Number(body, "top_p", 0, 1, exclusiveMin: true) ?? 1f,
            TopK = Int(body, "top_k", 0, int.MaxValue) ?? 0,
            MinP = Number(body, "min_p", 0, 1, exclusiveMax: true) ?? 0f,
            RepetitionPenalty = Number(body, "repetition_penalty", 0, 100, exclusiveMin: true) ?? 1f,
            PresencePenalty = Number(body, "presence_penalty", -2, 2) ?? 0f,
            FrequencyPenalty = Number(body, "frequency_penalty", -2, 2) ?? 0f,
            Seed = Long(body, "seed"),
            StopStrings = Stops(body),
            Logprobs = logprobs,
            MaxNewTokens = maxTokens ?? CompletionDefaultMaxTokens,
            // vLLM's extension: benchmarks ask for exactly max_tokens tokens.
            StopAtEos = Bool(body, "ignore_eos") != true,
        };
        var streamOptions = Field(body, "stream_options", JsonValueKind.Object);
        return new ApiRequest(String(body, "model"), chat ? null : ReadPrompt(body), chat ? ReadMessages(body) : null, chat ? String(body, "chat_template") : null,
            Bool(body, "stream") ?? false, streamOptions is { } so && Bool(so, "include_usage", "stream_options.include_usage") == true,
            chat ? maxTokens : maxTokens ?? CompletionDefaultMaxTokens, options);
    }

    private static string ReadPrompt(JsonElement body)
    {
        if (!body.TryGetProperty("prompt", out var p) || p.ValueKind == JsonValueKind.Null) throw ApiException.BadRequest("'prompt' is required", "prompt");
        if (p.ValueKind == JsonValueKind.String) return p.GetString()!;
        if (p.ValueKind == JsonValueKind.Array && p.GetArrayLength() == 1 && p[0].ValueKind == JsonValueKind.String) return p[0].GetString()!;
        throw ApiException.BadRequest("'prompt' must be a string (or a list of one string)", "prompt");
    }

    private static List<ChatMessage> ReadMessages(JsonElement body)
    {
        var list = Field(body, "messages", JsonValueKind.Array) ?? throw ApiException.BadRequest("'messages' is required", "messages");
        if (list.GetArrayLength() == 0) throw ApiException.BadRequest("'messages' must not be empty", "messages");
        var messages = new List<ChatMessage>();
        int i = 0;
        foreach (var m in list.EnumerateArray())
        {
            var at = $"messages[{i++}]";
            if (m.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest($"{at} must be an object", at);
            var role = String(m, "role", $"{at}.role") ?? throw ApiException.BadRequest($"{at}.role is required", $"{at}.role");
            if (!Roles.Contains(role)) throw ApiException.BadRequest($"{at}.role '{role}' is not supported: use system, user or assistant", $"{at}.role");
            messages.Add(new ChatMessage(role, Content(m, $"{at}.content")));
        }
        return messages;
    }

    // A string, or a list of {type:"text", text} parts, as OpenAI's clients send.
    private static string Content(JsonElement m, string param)
    {
        if (!m.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null) return "";
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind == JsonValueKind.Array && c.EnumerateArray().All(p => p.ValueKind == JsonValueKind.Object && String(p, "type", param) == "text"))
            return string.Concat(c.EnumerateArray().Select(p => String(p, "text", param)));
        throw ApiException.BadRequest($"{param} must be a string or a list of text parts", param);
    }

    private static List<string> Stops(JsonElement body)
    {
        if (!body.TryGetProperty("stop", out var s) || s.ValueKind == JsonValueKind.Null) return [];
        List<string> stops = s.ValueKind == JsonValueKind.String ? [s.GetString()!]
            : s.ValueKind == JsonValueKind.Array && s.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) ? [.. s.EnumerateArray().Select(e => e.GetString()!)]
            : throw ApiException.BadRequest("'stop' must be a string or a list of strings", "stop");
        if (stops.Any(string.IsNullOrEmpty)) throw ApiException.BadRequest("'stop' strings must not be empty", "stop");
        return stops;
    }

    private static JsonElement? Field(JsonElement obj, string name, JsonValueKind kind, string? param = null)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == kind ? v : throw ApiException.BadRequest($"'{param ?? name}' must be {Kind(kind)}", param ?? name);
    }

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "a list", JsonValueKind.Object => "an object", JsonValueKind.String => "a string", JsonValueKind.Number => "a number", _ => "true or false",
    };

    private static string? String(JsonElement obj, string name, string? param = null) => Field(obj, name, JsonValueKind.String, param)?.GetString();

    private static bool? Bool(JsonElement obj, string name, string? param = null)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw ApiException.BadRequest($"'{param ?? name}' must be true or false", param ?? name);
    }

    private static float? Number(JsonElement obj, string name, double min, double max, bool exclusiveMin = false, bool exclusiveMax = false)
    {
        if (Field(obj, name, JsonValueKind.Number) is not { } v) return null;
        var x = v.GetDouble();
        if (x < min || x > max || (exclusiveMin && x == min) || (exclusiveMax && x == max))
            throw ApiException.BadRequest($"'{name}' must be in {(exclusiveMin ? "(" : "[")}{min}, {max}{(exclusiveMax ? ")" : "]")} (got {x})", name);
        return (float)x;
    }

    private static int? Int(JsonElement obj, string name, int min, int max, string? rule = null)
    {
        if (Field(obj, name, JsonValueKind.Number) is not { } v) return null;
        if (!v.TryGetInt32(out var x)) throw ApiException.BadRequest($"'{name}' must be a whole number", name);
        if (x < min || x > max) throw ApiException.BadRequest($"'{name}' {rule ?? $"must be from {min} to {max}"} (got {x})", name);
        return x;
    }

    private static long? Long(JsonElement obj, string name) =>
        Field(obj, name, JsonValueKind.Number) is { } v ? v.TryGetInt64(out var x) ? x : throw ApiException.BadRequest($"'{name}' must be a whole number", name) : null;
}
