using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace OdooAspire.Gateway.Status;

/// <summary>
/// /gateway/status, in the spirit of HAProxy's stats page: every node of every cluster with its health, sent,
/// in-flight, served, failed and retried counts, last probe and weight. HTML for people, JSON for <c>Accept: application/json</c>.
/// </summary>
public sealed class StatusPage(IProxyStateLookup proxyState, GatewayStatistics statistics, IOptions<GatewayOptions> options)
{
    public const string Path = "/gateway/status";

    public GatewayStatus Snapshot() => new(
        DateTimeOffset.UtcNow,
        proxyState.GetClusters().OrderBy(c => c.ClusterId, StringComparer.Ordinal).Select(cluster => new ClusterStatus(
            cluster.ClusterId,
            cluster.Model.Config.LoadBalancingPolicy ?? "",
            cluster.DestinationsState.AllDestinations.OrderBy(d => d.DestinationId, StringComparer.Ordinal).Select(destination =>
            {
                var node = statistics.For(cluster.ClusterId, destination.DestinationId);
                return new NodeStatus(
                    destination.DestinationId,
                    destination.Model.Config.Address,
                    State(destination.Health),
                    destination.Health.Active.ToString(),
                    destination.Health.Passive.ToString(),
                    node.Sent,
                    node.InFlight,
                    node.Served,
                    node.Failed,
                    node.Retried,
                    options.Value.Weights.TryGetValue(destination.DestinationId, out var weight) ? weight : 1,
                    node.LastProbe);
            }).ToList())).ToList());

    public IResult Render(HttpContext context)
    {
        var snapshot = Snapshot();
        var wantsJson = context.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase));
        return wantsJson ? Results.Json(snapshot) : Results.Content(Html(snapshot), "text/html; charset=utf-8");
    }

    /// <summary>Up when neither the probe nor passive ejection says otherwise; "unknown" before the first probe.</summary>
    private static string State(DestinationHealthState health) => (health.Active, health.Passive) switch
    {
        (DestinationHealth.Unhealthy, _) or (_, DestinationHealth.Unhealthy) => "down",
        (DestinationHealth.Healthy, _) => "up",
        _ => "unknown",
    };

    private static string Html(GatewayStatus status)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"2\">")
            .Append("<title>OdooAspire gateway</title><style>body{font-family:sans-serif}table{border-collapse:collapse;margin-bottom:1.5em}")
            .Append("td,th{border:1px solid #999;padding:.25em .6em;text-align:right}td:first-child,th:first-child{text-align:left}")
            .Append(".up{background:#c8f0c8}.down{background:#f4c0c0}.unknown{background:#eee}</style></head><body>")
            .Append("<h1>OdooAspire gateway</h1><p>").Append(status.At.ToString("u")).Append("</p>");
        foreach (var cluster in status.Clusters)
        {
            html.Append("<h2>").Append(WebUtility.HtmlEncode(cluster.Id)).Append("</h2><p>load balancing: ")
                .Append(WebUtility.HtmlEncode(cluster.LoadBalancing)).Append("</p><table><tr><th>node</th><th>address</th><th>state</th>")
                .Append("<th>active</th><th>passive</th><th>sent</th><th>in flight</th><th>served</th><th>failed</th><th>retried</th><th>weight</th><th>last check</th></tr>");
            foreach (var node in cluster.Nodes)
            {
                html.Append("<tr class=\"").Append(node.State).Append("\"><td>").Append(WebUtility.HtmlEncode(node.Id))
                    .Append("</td><td>").Append(WebUtility.HtmlEncode(node.Address))
                    .Append("</td><td>").Append(node.State)
                    .Append("</td><td>").Append(node.Active)
                    .Append("</td><td>").Append(node.Passive)
                    .Append("</td><td>").Append(node.Sent)
                    .Append("</td><td>").Append(node.InFlight)
                    .Append("</td><td>").Append(node.Served)
                    .Append("</td><td>").Append(node.Failed)
                    .Append("</td><td>").Append(node.Retried)
                    .Append("</td><td>").Append(node.Weight)
                    .Append("</td><td>").Append(node.LastCheck is { } probe ? $"{probe.At:HH:mm:ss.fff} {WebUtility.HtmlEncode(probe.Outcome)}" : "never")
                    .Append("</td></tr>");
            }

            html.Append("</table>");
        }

        return html.Append("</body></html>").ToString();
    }
}

public sealed record GatewayStatus(DateTimeOffset At, IReadOnlyList<ClusterStatus> Clusters);

public sealed record ClusterStatus(string Id, string LoadBalancing, IReadOnlyList<NodeStatus> Nodes);

public sealed record NodeStatus(
    string Id, string Address, string State, string Active, string Passive,
    long Sent, long InFlight, long Served, long Failed, long Retried, double Weight, ProbeResult? LastCheck);
