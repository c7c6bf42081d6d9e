using System.Net;
using Microsoft.Extensions.Options;
using OdooAspire.Gateway.Balancing;
using OdooAspire.Gateway.Health;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace OdooAspire.Gateway.Routing;

/// <summary>
/// Applies the gateway's settings to the clusters the AppHost hands over: load balancing, active and passive health,
/// affinity and timeouts. Whatever a cluster's own configuration sets explicitly is kept.
/// </summary>
public sealed class ClusterDefaults(IOptions<GatewayOptions> options) : IProxyConfigFilter
{
    private const string DefaultHealthPath = "/web/health";

    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        var settings = options.Value;
        var health = settings.HealthChecks;
        var isWebSocket = cluster.ClusterId == ResourceNames.GatewayWebSocketCluster;

        return ValueTask.FromResult(cluster with
        {
            LoadBalancingPolicy = cluster.LoadBalancingPolicy ?? settings.LoadBalancingPolicy,
            HealthCheck = new HealthCheckConfig
            {
                // With every node marked down, trying them all beats answering 503 to everyone.
                AvailableDestinationsPolicy = cluster.HealthCheck?.AvailableDestinationsPolicy ?? "HealthyOrPanic",
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = cluster.HealthCheck?.Active?.Enabled ?? true,
                    Interval = cluster.HealthCheck?.Active?.Interval ?? health.Interval,
                    Timeout = cluster.HealthCheck?.Active?.Timeout ?? health.Timeout,
                    Policy = cluster.HealthCheck?.Active?.Policy ?? ActiveProbePolicy.PolicyName,
                    Path = cluster.HealthCheck?.Active?.Path ?? DefaultHealthPath,
                    Query = cluster.HealthCheck?.Active?.Query,
                },
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = cluster.HealthCheck?.Passive?.Enabled ?? true,
                    Policy = cluster.HealthCheck?.Passive?.Policy ?? TransportFailureEjection.PolicyName,
                    ReactivationPeriod = cluster.HealthCheck?.Passive?.ReactivationPeriod ?? health.PassiveReactivation,
                },
            },
            SessionAffinity = cluster.SessionAffinity ?? (settings.Affinity
                ? new SessionAffinityConfig
                {
                    Enabled = true,
                    Policy = "HashCookie",
                    // A dead node's cookie sends its users elsewhere instead of failing them.
                    FailurePolicy = "Redistribute",
                    AffinityKeyName = settings.AffinityCookieName,
                    Cookie = new SessionAffinityCookieConfig { HttpOnly = true, SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Lax },
                }
                : null),
            HttpRequest = cluster.HttpRequest ?? new ForwarderRequestConfig
            {
                ActivityTimeout = isWebSocket ? settings.WebSocketIdleTimeout : settings.RequestTimeout,
                // Odoo speaks HTTP/1.1; websockets need it too.
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            },
        });
    }

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
