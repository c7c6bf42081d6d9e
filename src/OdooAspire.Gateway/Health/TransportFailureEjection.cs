using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OdooAspire.Gateway.Resilience;
using OdooAspire.Gateway.Status;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace OdooAspire.Gateway.Health;

/// <summary>
/// Passive health: a node whose connection was refused or reset is taken out at once, for
/// <c>PassiveReactivation</c>, after which the active probe's verdict decides again.
/// The forwarding handler calls <see cref="Eject"/> per failed attempt; YARP calls
/// <see cref="RequestProxied"/> once the response is done, which catches a node dying mid-response.
/// </summary>
public sealed partial class TransportFailureEjection(
    IDestinationHealthUpdater healthUpdater,
    GatewayStatistics statistics,
    IOptions<GatewayOptions> options,
    ILogger<TransportFailureEjection> logger) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "OdooAspireTransportFailure";

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var error = context.Features.Get<IForwarderErrorFeature>()?.Error;
        if (error is ForwarderError.ResponseBodyDestination or ForwarderError.UpgradeResponseDestination)
        {
            var servedBy = context.Features.Get<ForwardedRequest>()?.ServedBy ?? destination;
            Eject(cluster, servedBy, error.Value.ToString());
        }
    }

    public void Eject(ClusterState cluster, DestinationState destination, string reason)
    {
        if (destination.Health.Passive != DestinationHealth.Unhealthy)
        {
            statistics.HealthChanged(statistics.For(cluster.ClusterId, destination.DestinationId), "passive", "unhealthy");
            LogEjected(logger, destination.DestinationId, cluster.ClusterId, reason);
        }

        healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, options.Value.HealthChecks.PassiveReactivation);
    }

    [LoggerMessage(LogLevel.Warning, "Node {Destination} of {Cluster} taken out of rotation: {Reason}")]
    private static partial void LogEjected(ILogger logger, string destination, string cluster, string reason);
}
