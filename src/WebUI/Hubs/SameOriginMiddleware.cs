namespace WebUI.Hubs;

/// <summary>
/// Browsers send Origin when a page opens a WebSocket; a page of another site must not watch or drive the hubs
/// (/hubs/training, Blazor's /_blazor). Requests without Origin come from programs, not from a visited page.
/// </summary>
public sealed class SameOriginMiddleware(RequestDelegate next, ILogger<SameOriginMiddleware> log)
{
    public Task InvokeAsync(HttpContext context)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0 || IsThisServer(origin, context.Request.Host)) return next(context);
        log.LogWarning("refused {Path} for a page of {Origin}: hubs answer only this server's own pages", context.Request.Path.Value, origin);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return context.Response.WriteAsync($"forbidden: a page of {origin} may not connect here");
    }

    private static bool IsThisServer(string origin, HostString host) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, host.Value, StringComparison.OrdinalIgnoreCase);

    public static bool Guards(PathString path) => path.StartsWithSegments(TrainingHub.Path) || path.StartsWithSegments("/_blazor");
}
