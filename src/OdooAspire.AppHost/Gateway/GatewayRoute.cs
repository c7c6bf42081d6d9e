using OdooAspire.AppHost.Odoo;

namespace OdooAspire.AppHost.Gateway;

/// <summary>
/// One of the gateway's two routes. With workers, Odoo serves /websocket only on its gevent port; everything else goes to
/// its HTTP port. Each route's cluster is probed on the health route Odoo serves on that port.
/// </summary>
public sealed record GatewayRoute(string Cluster, string PathPattern, string EndpointName, string HealthPath)
{
    public static readonly GatewayRoute WebSocket = new(ResourceNames.GatewayWebSocketCluster, "/websocket/{**rest}", OdooCluster.GeventEndpointName, "/websocket/health");

    public static readonly GatewayRoute Http = new(ResourceNames.GatewayHttpCluster, "/{**path}", OdooCluster.HttpEndpointName, OdooCluster.HealthPath);

    public static readonly IReadOnlyList<GatewayRoute> All = [WebSocket, Http];
}
