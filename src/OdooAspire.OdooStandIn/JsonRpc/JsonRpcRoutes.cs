using System.Text.Json.Nodes;
using OdooAspire.OdooStandIn.Sessions;

namespace OdooAspire.OdooStandIn.JsonRpc;

/// <summary>Maps <c>type='json'</c> routes: envelope in, session loaded and checked, envelope out, session saved.</summary>
public static class JsonRpcRoutes
{
    public delegate Task<JsonNode?> Handler(OdooRequest request, JsonRpcRequest call);

    public static void MapJsonRpc(this IEndpointRouteBuilder routes, string pattern, RouteAuth auth, Handler handler, bool parsedBeforeDispatch = false) =>
        routes.MapPost(pattern, async (HttpContext http, StandInServices services) =>
        {
            if (await JsonRpcRequest.ReadAsync(http, parsedBeforeDispatch) is not { } call)
            {
                return;
            }

            var request = await OdooRequest.OpenAsync(http, services);
            JsonNode? result;
            try
            {
                await request.AuthenticateAsync(auth);
                result = await handler(request, call);
            }
            catch (OdooException error)
            {
                services.Logger.LogInformation("{Path}: {Name}: {Message}", http.Request.Path, error.Name, error.Message);
                await request.SaveAsync();
                await call.WriteErrorAsync(http, error);
                return;
            }

            await request.SaveAsync();
            await call.WriteResultAsync(http, result);
        });

    /// <summary>
    /// Redis down or full: 503 and a log line, as the addon answers for real Odoo. Handing out a fresh session here
    /// would log the user out for good.
    /// </summary>
    public static IApplicationBuilder UseSessionStoreGuard(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            try
            {
                await next(http);
            }
            catch (SessionStoreUnavailableException ex) when (!http.Response.HasStarted)
            {
                http.Response.Clear();
                http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                http.Response.ContentType = "text/plain";
                await http.Response.WriteAsync(ex.Message);
            }
        });
}
