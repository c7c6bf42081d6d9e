using System.Net.Sockets;
using Microsoft.Extensions.Options;
using OdooAspire.Gateway.Status;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace OdooAspire.Gateway.Health;

/// <summary>
/// Turns active probe results into node health: a 2xx answer within the timeout is healthy, anything else counts as a
/// failure and <c>FailureThreshold</c> failures in a row take the node out. Records each probe for the status page.
/// </summary>
public sealed class ActiveProbePolicy(IDestinationHealthUpdater healthUpdater, GatewayStatistics statistics, IOptions<GatewayOptions> options)
    : IActiveHealthCheckPolicy
{
    public const string PolicyName = "OdooAspireProbe";

    public string Name => PolicyName;

    public void ProbingCompleted(ClusterState cluster, IReadOnlyList<DestinationProbingResult> probingResults)
    {
        var threshold = Math.Max(1, options.Value.HealthChecks.FailureThreshold);
        var updates = new List<NewActiveDestinationHealth>(probingResults.Count);
        foreach (var result in probingResults)
        {
            var node = statistics.For(cluster.ClusterId, result.Destination.DestinationId);
            var passed = result.Response is { IsSuccessStatusCode: true };
            var failures = node.RecordProbe(new ProbeResult(DateTimeOffset.UtcNow, passed, Describe(result)));

            var previous = result.Destination.Health.Active;
            var next = passed ? DestinationHealth.Healthy : failures >= threshold ? DestinationHealth.Unhealthy : previous;
            if (next != previous)
            {
                statistics.HealthChanged(node, "active", next.ToString().ToLowerInvariant());
            }

            updates.Add(new NewActiveDestinationHealth(result.Destination, next));
        }

        healthUpdater.SetActive(cluster, updates);
    }

    private static string Describe(DestinationProbingResult result) => result switch
    {
        { Response: { } response } => ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture),
        { Exception: OperationCanceledException } => "timeout",
        { Exception: HttpRequestException { InnerException: SocketException socket } } => socket.SocketErrorCode.ToString(),
        { Exception: { } exception } => exception.GetType().Name,
        _ => "no answer",
    };
}
