using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OdooAspire.Gateway.Resilience;
using OdooAspire.Gateway.Routing;

namespace OdooAspire.Gateway.Security;

/// <summary>
/// Odoo's database manager can create, drop, back up and restore whole databases with one password. Unless
/// <c>Gateway:DatabaseManager</c> is true, it never reaches a node, decided by what Odoo would dispatch, on any method:
/// its pages (/web/database/*) and XML-RPC service (/xmlrpc/db, /xmlrpc/2/db) by path, and /jsonrpc by its body. Odoo
/// reads a /jsonrpc body whatever the method, so one the gateway did not read whole is refused, never passed on.
/// </summary>
public sealed class DatabaseManagerLockout(IOptions<GatewayOptions> options)
{
    public const string Message = "The Odoo database manager is disabled at the gateway. Set Gateway:DatabaseManager=true to enable it.";

    private static readonly string[] ManagerRoutes = ["/web/database", "/xmlrpc/db", "/xmlrpc/2/db"];

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (options.Value.DatabaseManager)
        {
            await next();
            return;
        }

        var path = OdooPath.Normalise(context.Request.Path);
        if (ManagerRoutes.Any(route => OdooPath.IsUnder(path, route)))
        {
            await Refuse.WriteAsync(context, StatusCodes.Status403Forbidden, Message);
            return;
        }

        if (OdooPath.IsUnder(path, RequestClassifier.JsonRpcRoute) && context.Features.Get<ForwardedRequest>() is { } request)
        {
            if (JsonRpcRefusal(request) is { } refusal)
            {
                await Refuse.WriteAsync(context, refusal.Status, refusal.Message);
                return;
            }
        }

        await next();
    }

    private (int Status, string Message)? JsonRpcRefusal(ForwardedRequest request) => (request.JsonRpc, request.NotBuffered) switch
    {
        ({ Service: "db" }, _) => (StatusCodes.Status403Forbidden, Message),
        (_, BodyNotBuffered.TooLarge) => (StatusCodes.Status413PayloadTooLarge,
            $"A /jsonrpc body is read whole at the gateway to keep the database manager locked: at most {options.Value.Retry.MaxBufferedBodyBytes} bytes (Gateway:Retry:MaxBufferedBodyBytes)."),
        (_, BodyNotBuffered.OverBudget) => (StatusCodes.Status503ServiceUnavailable,
            "The gateway is buffering too many request bodies right now (Gateway:Limits:MaxBufferedBytesTotal). Retry shortly."),
        ({ Readable: false }, _) => (StatusCodes.Status400BadRequest, "The /jsonrpc body is not one JSON document the gateway can read."),
        _ => null,
    };
}
