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

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler)
    {
        // Writes never reuse a connection. A node closing an idle keep-alive connection (as it does when it stops)
        // races with a write sent on it: the write is then on the wire, may or may not have been read, and is never
        // replayed, so the user gets a 502 for a request the node never saw. A fresh connection to a stopping node
        // is refused instead, which proves the write was not sent, and it goes to another node.
        // YARP turns these off before ConfigureHandler on the handler it makes; a proxy must never keep cookies.
        var writes = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
        };
        ConfigureHandler(context, writes);
        writes.PooledConnectionLifetime = TimeSpan.Zero;
        return new NodeFailoverHandler(handler, writes, pipelines, balancer, ejection, statistics, options.Value.NodeHeaderName);
    }
}
