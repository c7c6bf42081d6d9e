using System.Text.Json.Nodes;

namespace OdooAspire.OdooStandIn.Controllers;

/// <summary>/web/health (addons/web/controllers/home.py): no session, no database unless asked.</summary>
public static class HealthRoutes
{
    public static void MapHealthRoutes(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/web/health", async (HttpContext http, StandInDatabase database, string? db_server_status) =>
        {
            var health = new JsonObject { ["status"] = "pass" };
            var status = StatusCodes.Status200OK;
            if (db_server_status is { Length: > 0 } and not ("0" or "false" or "False"))
            {
                try
                {
                    // Like Odoo's db_connect('postgres'): the server answers, whichever database.
                    await using var connection = await database.Bus.OpenConnectionAsync(http.RequestAborted);
                    health["db_server_status"] = true;
                }
                catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
                {
                    health["db_server_status"] = false;
                    health["status"] = "fail";
                    status = StatusCodes.Status500InternalServerError;
                }
            }

            http.Response.StatusCode = status;
            http.Response.Headers.CacheControl = "no-store";
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(health.ToJsonString());
        });
}
