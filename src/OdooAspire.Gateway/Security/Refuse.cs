using Microsoft.AspNetCore.Http;

namespace OdooAspire.Gateway.Security;

/// <summary>How the gateway answers a request it will not forward: a status and one plain line, nothing of the request echoed.</summary>
public static class Refuse
{
    public static Task WriteAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message, context.RequestAborted);
    }
}
