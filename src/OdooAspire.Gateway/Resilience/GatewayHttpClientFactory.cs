using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OdooAspire.Gateway.Balancing;
using OdooAspire.Gateway.Health;
using OdooAspire.Gateway.Status;
using Yarp.ReverseProxy.Forwarder;

namespace OdooAspire.Gateway.Resilience;

/// <summary>YARP's per-cluster HTTP client with the failover handler on top and a short connect timeout.</summary>
internal sealed class GatewayHttpClientFactory(
    FailoverPipelines pipelines,
    WeightedPowerOfTwoChoices balancer,
    TransportFailureEjection ejection,
    GatewayStatistics statistics,
    IOptions<GatewayOptions> options,
    ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        // A node that does not accept a connection quickly is treated like one that refused it: try another.
        handler.ConnectTimeout = options.Value.Retry.ConnectTimeout;
    }

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
        new NodeFailoverHandler(handler, pipelines, balancer, ejection, statistics, options.Value.NodeHeaderName);
}
