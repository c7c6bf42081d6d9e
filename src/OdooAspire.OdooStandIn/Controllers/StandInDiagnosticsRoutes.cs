using System.Text.Json.Nodes;
using OdooAspire.OdooStandIn.Assets;

namespace OdooAspire.OdooStandIn.Controllers;

/// <summary>
/// A route real Odoo does not have: what this stand-in node saw of the request (as Odoo's proxy_mode would see it) and
/// how many asset requests it served, so tests can tell what reached a node behind the edge and the gateway.
/// </summary>
public static class StandInDiagnosticsRoutes
{
    public const string Path = OdooAspire.Odoo.StandInContract.DiagnosticsPath;

    public static void MapStandInDiagnosticsRoutes(this IEndpointRouteBuilder routes) =>
        routes.MapGet(Path, async (HttpContext http, AssetCatalog assets) =>
        {
            var arrived = http.Features.Get<ArrivedRequest>()!;
            var request = http.Request;
            var answer = new JsonObject
            {
                ["stand_in"] = "OdooAspire stand-in diagnostics: not an Odoo route",
                ["proxy_mode"] = new JsonObject
                {
                    ["applied"] = arrived.ProxyFixApplied,
                    ["remote_addr"] = http.Connection.RemoteIpAddress?.ToString(),
                    ["scheme"] = request.Scheme,
                    ["host"] = request.Host.Value,
                    ["url_root"] = $"{request.Scheme}://{request.Host.Value}/",
                },
                ["arrived"] = new JsonObject
                {
                    ["peer_address"] = arrived.PeerAddress,
                    ["scheme"] = arrived.Scheme,
                    ["host"] = arrived.Host,
                    ["x_forwarded_for"] = arrived.ForwardedFor,
                    ["x_forwarded_proto"] = arrived.ForwardedProto,
                    ["x_forwarded_host"] = arrived.ForwardedHost,
                },
                ["asset_requests_served"] = assets.RequestsServed,
            };
            http.Response.Headers.CacheControl = "no-store";
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(answer.ToJsonString());
        });
}
