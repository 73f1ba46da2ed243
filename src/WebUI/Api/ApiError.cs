using System.Text.Json;

namespace WebUI.Api;

/// <summary>An answer in OpenAI's error shape, {error:{message, type, param, code}}, thrown before anything streams.</summary>
public sealed class ApiException(int status, string message, string? param = null, string? code = null, string type = "invalid_request_error")
    : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    public string Type { get; } = type;

    public static ApiException BadRequest(string message, string? param, string? code = null) => new(400, message, param, code);

    public Task WriteAsync(HttpContext context) => Write(context, Status, Message, Type, Param, Code);

    public static async Task Write(HttpContext context, int status, string message, string type, string? param, string? code)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, new { error = new { message, type, param, code } }); // param and code stay, null or not, as OpenAI writes them
    }
}
