using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using WebUI.Engine.Studio;

namespace WebUI.Api;

/// <summary>
/// The OpenAI-compatible API under /v1: models, completions, chat completions (streamed as server-sent events or
/// whole) and /v1/internal/tokenize. Everything that can go wrong is answered in OpenAI's error shape before the
/// first byte streams; a client that disconnects cancels its sequence.
/// </summary>
public static class OpenAiApi
{
    public const long MaxBodyBytes = 8 * 1024 * 1024;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static void MapOpenAiApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", ListModels);
        app.MapPost("/v1/completions", (HttpContext c, StudioEngine e) => Guarded(c, () => ApiGeneration.RunAsync(c, e, chat: false)));
        app.MapPost("/v1/chat/completions", (HttpContext c, StudioEngine e) => Guarded(c, () => ApiGeneration.RunAsync(c, e, chat: true)));
        app.MapPost("/v1/internal/tokenize", (HttpContext c, StudioEngine e) => Guarded(c, () => Tokenize(c, e)));
    }

    private static async Task ListModels(HttpContext context, StudioEngine engine)
    {
        var cards = new List<ModelCard>();
        if (engine.Model is { } model)
        {
            cards.Add(new ModelCard(model.Name, Created(model.Path)));
            foreach (var adapter in await engine.ListFittingAdaptersAsync(context.RequestAborted))
                cards.Add(new ModelCard(adapter.Name, Created(Path.Combine(engine.Paths.Loras, adapter.Name))));
        }
        await context.Response.WriteAsJsonAsync(new ModelList(cards), Json);
    }

    private static long Created(string path) => new DateTimeOffset(Directory.Exists(path) ? Directory.GetLastWriteTimeUtc(path) : File.GetLastWriteTimeUtc(path)).ToUnixTimeSeconds();

    private static async Task Tokenize(HttpContext context, StudioEngine engine)
    {
        var body = await ReadBodyAsync(context);
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
            throw ApiException.BadRequest("'text' must be a string", "text");
        RequireModel(engine);
        await context.Response.WriteAsJsonAsync(new { ids = engine.Tokenize(text.GetString()!) }, Json);
    }

    public static void RequireModel(StudioEngine engine)
    {
        if (engine.Model is null) throw new ApiException(503, "no model is loaded: load one on the Model tab (or start with --model NAME)", null, "model_not_loaded", "server_error");
    }

    /// <summary>The body as JSON: 400 for malformed JSON, 413 beyond <see cref="MaxBodyBytes"/>.</summary>
    public static async Task<JsonElement> ReadBodyAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes) throw TooLarge();
        try
        {
            using var doc = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            return doc.RootElement.Clone();
        }
        catch (JsonException e) { throw ApiException.BadRequest($"the body is not valid JSON: {e.Message}", null, "invalid_json"); }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge) { throw TooLarge(); }
    }

    private static ApiException TooLarge() => new(413, $"the request body is larger than {MaxBodyBytes / (1024 * 1024)} MB", null, "request_too_large");

    private static async Task Guarded(HttpContext context, Func<Task> handler)
    {
        try { await handler(); }
        catch (ApiException e) when (!context.Response.HasStarted) { await e.WriteAsync(context); }
    }
}
