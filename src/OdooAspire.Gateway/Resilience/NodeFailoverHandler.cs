using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Http;
using OdooAspire.Gateway.Balancing;
using OdooAspire.Gateway.Health;
using OdooAspire.Gateway.Status;
using Yarp.ReverseProxy.Model;

namespace OdooAspire.Gateway.Resilience;

/// <summary>
/// The piece YARP lacks (dotnet/yarp#56): sits between YARP's forwarder and the socket handler of a cluster and
/// runs each forwarded request as a <see cref="FailoverCall"/>, so a retry or a hedge happens before a single byte
/// of the response reaches the client. Requests without a forwarding context (YARP's health probes) pass through.
/// </summary>
internal sealed class NodeFailoverHandler(
    HttpMessageHandler inner,
    HttpMessageHandler writes,
    FailoverPipelines pipelines,
    WeightedPowerOfTwoChoices balancer,
    TransportFailureEjection ejection,
    GatewayStatistics statistics,
    string nodeHeaderName) : DelegatingHandler(inner)
{
    /// <summary>Set on each outgoing request by the gateway's request transform.</summary>
    public static readonly HttpRequestOptionsKey<HttpContext> HttpContextKey = new("OdooAspire.HttpContext");

    public FailoverPipelines Pipelines { get; } = pipelines;

    public WeightedPowerOfTwoChoices Balancer { get; } = balancer;

    public TransportFailureEjection Ejection { get; } = ejection;

    public GatewayStatistics Statistics { get; } = statistics;

    public string NodeHeaderName { get; } = nodeHeaderName;

    /// <summary>Writes go through their own handler, on a connection of their own (see GatewayHttpClientFactory).</summary>
    private readonly HttpMessageInvoker _writes = new(writes);

    public Task<HttpResponseMessage> SendToNodeAsync(HttpRequestMessage request, bool isSafe, CancellationToken cancellationToken) =>
        isSafe ? base.SendAsync(request, cancellationToken) : _writes.SendAsync(request, cancellationToken);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(HttpContextKey, out var context)
            || context.Features.Get<ForwardedRequest>() is not { } forwarded
            || context.GetReverseProxyFeature().ProxiedDestination is not { } primary
            || context.GetRouteModel().Cluster is not { } cluster)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        var call = new FailoverCall(this, request, cluster, primary, forwarded);
        var outcome = await call.RunAsync(cancellationToken);
        if (outcome.Exception is { } exception)
        {
            // YARP maps the original transport error to 502 (or a timeout to 504); unwrap so it sees that error.
            ExceptionDispatchInfo.Throw(exception is NodeAttemptException { InnerException: { } cause } ? cause : exception);
        }

        forwarded.ServedBy = call.ServedBy(outcome.Result!);
        return outcome.Result!;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _writes.Dispose();
        }

        base.Dispose(disposing);
    }
}
