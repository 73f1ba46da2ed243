using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;
using WebUI.Engine.Studio;

namespace WebUI.Api;

/// <summary>/v1/completions and /v1/chat/completions: the request mapped onto the scheduler, then answered whole or as SSE.</summary>
public static class ApiGeneration
{
    public static async Task RunAsync(HttpContext context, StudioEngine engine, bool chat)
    {
        var request = ApiRequest.Parse(await OpenAiApi.ReadBodyAsync(context), chat);
        OpenAiApi.RequireModel(engine);
        var modelId = request.Model ?? engine.Model!.Name;
        await using var stream = await StartAsync(context, engine, request, modelId, chat);
        var reply = new ReplyWriter(context, modelId, chat, request, stream.PromptTokens);
        await reply.WriteAsync(stream.ReadAllAsync(context.RequestAborted));
    }

    private static async Task<GenerationStream> StartAsync(HttpContext context, StudioEngine engine, ApiRequest request, string modelId, bool chat)
    {
        IReadOnlyList<AdapterWeight> adapters;
        try { adapters = engine.AdaptersFor(modelId); }
        catch (ModelNotFoundException e) { throw new ApiException(404, e.Message, "model", "model_not_found"); }
        catch (ArgumentException e) { throw ApiException.BadRequest(e.Message, "model", "invalid_model"); }

        var (ids, options) = chat ? RenderChat(engine, request) : (engine.Tokenize(request.Prompt!), request.Options);
        if (request.MaxTokens is null) options = options with { MaxNewTokens = engine.ChatMaxTokens(ids.Count) };
        try
        {
            return await engine.StartGenerationAsync(new GenerationRequest(ids, options.Validate(), adapters), context.RequestAborted);
        }
        catch (SchedulerBusyException e)
        {
            context.Response.Headers.RetryAfter = "1";
            throw new ApiException(429, e.Message, null, "rate_limit_exceeded", "rate_limit_error");
        }
        catch (PromptTooLongException e) { throw ApiException.BadRequest(e.Message, chat ? "messages" : "prompt", "context_length_exceeded"); }
        catch (DirectoryNotFoundException e) { throw new ApiException(404, e.Message, "model", "model_not_found"); }
        catch (InvalidModelException e) { throw ApiException.BadRequest($"model '{modelId}' does not fit the loaded base model: {e.Message}", "model", "adapter_mismatch"); }
        catch (ArgumentException e) { throw ApiException.BadRequest($"model '{modelId}': {e.Message}", "model"); }
        catch (InvalidOperationException e) { throw new ApiException(503, e.Message, null, "model_busy", "server_error"); }
    }

    private static (IReadOnlyList<int>, GenerationOptions) RenderChat(StudioEngine engine, ApiRequest request)
    {
        if (request.ChatTemplate is { } name && engine.ChatTemplates().All(t => t.Name != name))
            throw ApiException.BadRequest($"unknown chat template '{name}'; the templates are: {string.Join(", ", engine.ChatTemplates().Select(t => t.Name))}", "chat_template");
        try { return engine.RenderChat(request.Messages!, request.ChatTemplate, request.Options); }
        catch (Exception e) when (e is ArgumentException or TemplateException)
        {
            throw ApiException.BadRequest($"the chat template could not render these messages: {e.Message}", "messages");
        }
    }
}
