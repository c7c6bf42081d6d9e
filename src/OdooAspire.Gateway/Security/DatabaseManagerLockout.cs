using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OdooAspire.Gateway.Resilience;

namespace OdooAspire.Gateway.Security;

/// <summary>
/// Odoo's database manager can create, drop, back up and restore whole databases with one password. Unless
/// <c>Gateway:DatabaseManager</c> is true, its pages (/web/database/*) and its RPC service (/xmlrpc/db, /xmlrpc/2/db,
/// /jsonrpc with service "db") are answered 403 here and never reach a node.
/// </summary>
public sealed class DatabaseManagerLockout(IOptions<GatewayOptions> options)
{
    public const string Message = "The Odoo database manager is disabled at the gateway. Set Gateway:DatabaseManager=true to enable it.";

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (!options.Value.DatabaseManager && IsDatabaseManager(context))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(Message, context.RequestAborted);
            return;
        }

        await next();
    }

    public static bool IsDatabaseManager(HttpContext context)
    {
        var path = context.Request.Path;
        return path.StartsWithSegments("/web/database", StringComparison.OrdinalIgnoreCase)
            || path.StartsWithSegments("/xmlrpc/db", StringComparison.OrdinalIgnoreCase)
            || path.StartsWithSegments("/xmlrpc/2/db", StringComparison.OrdinalIgnoreCase)
            || (path.StartsWithSegments("/jsonrpc", StringComparison.OrdinalIgnoreCase)
                && context.Features.Get<ForwardedRequest>()?.JsonRpcService == "db");
    }
}
