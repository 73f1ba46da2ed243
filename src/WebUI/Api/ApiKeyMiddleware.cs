using System.Security.Cryptography;
using System.Text;

namespace WebUI.Api;

/// <summary>The --api-key (or WEBUI_API_KEY) that /v1 asks for; none: the API is open (loopback only, unless --insecure-no-auth).</summary>
public sealed class ApiKeyCheck(string? key)
{
    private readonly byte[]? expected = key is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public bool Required => expected is not null;

    /// <summary>Compares hashes in constant time, so neither the key's bytes nor its length show in the timing.</summary>
    public bool Accepts(string? authorization)
    {
        if (expected is null) return true;
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(authorization["Bearer ".Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }
}

/// <summary>401 in OpenAI's error shape for /v1 requests without the right bearer key.</summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeyCheck check)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (check.Accepts(context.Request.Headers.Authorization.ToString() is { Length: > 0 } h ? h : null)) return next(context);
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ApiException.Write(context, 401, "missing or wrong API key: send the header 'Authorization: Bearer KEY'", "invalid_request_error", null, "invalid_api_key");
    }
}
