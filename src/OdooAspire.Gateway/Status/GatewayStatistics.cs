using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace OdooAspire.Gateway.Status;

/// <summary>
/// Per-node counters of every cluster, published as OpenTelemetry instruments on the <c>OdooAspire</c> meter so the
/// dashboard shows load, retries and health changes per node.
/// </summary>
public sealed class GatewayStatistics
{
    private readonly ConcurrentDictionary<(string Cluster, string Destination), NodeStatistics> _nodes = new();
    private readonly Counter<long> _requests;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _healthTransitions;

    public GatewayStatistics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Telemetry.MeterName);
        _requests = meter.CreateCounter<long>("odooaspire.gateway.requests", "{request}",
            "Attempts forwarded to a node, by outcome (served, failed).");
        _retries = meter.CreateCounter<long>("odooaspire.gateway.retries", "{request}",
            "Attempts sent to a node as a retry or a hedge of a request first sent elsewhere.");
        _healthTransitions = meter.CreateCounter<long>("odooaspire.gateway.health_transitions", "{transition}",
            "Changes of a node's health, by source (active probe, passive ejection) and new state.");
        meter.CreateObservableGauge("odooaspire.gateway.in_flight", ObserveInFlight, "{request}",
            "Attempts sent to a node and not finished yet.");
    }

    public NodeStatistics For(string clusterId, string destinationId) =>
        _nodes.GetOrAdd((clusterId, destinationId), static key => new NodeStatistics(key.Cluster, key.Destination));

    internal void AttemptStarted(NodeStatistics node, bool isRetry)
    {
        node.AttemptStarted(isRetry);
        if (isRetry)
        {
            _retries.Add(1, Tags(node));
        }
    }

    internal void AttemptServed(NodeStatistics node)
    {
        node.AttemptServed();
        _requests.Add(1, Tags(node, "outcome", "served"));
    }

    internal void AttemptFailed(NodeStatistics node)
    {
        node.AttemptFailed();
        _requests.Add(1, Tags(node, "outcome", "failed"));
    }

    internal void AttemptAbandoned(NodeStatistics node) => node.AttemptAbandoned();

    internal void HealthChanged(NodeStatistics node, string source, string state)
    {
        var tags = Tags(node, "source", source);
        tags.Add("state", state);
        _healthTransitions.Add(1, tags);
    }

    private IEnumerable<Measurement<long>> ObserveInFlight() =>
        _nodes.Values.Select(node => new Measurement<long>(node.InFlight, Tags(node)));

    private static TagList Tags(NodeStatistics node) => new() { { "cluster", node.ClusterId }, { "node", node.DestinationId } };

    private static TagList Tags(NodeStatistics node, string key, string value)
    {
        var tags = Tags(node);
        tags.Add(key, value);
        return tags;
    }
}
