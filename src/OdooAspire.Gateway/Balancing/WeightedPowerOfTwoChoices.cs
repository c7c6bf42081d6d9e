using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OdooAspire.Gateway.Status;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace OdooAspire.Gateway.Balancing;

/// <summary>
/// Power-of-two-choices over in-flight requests divided by weight: two candidates are drawn in proportion to their
/// weights and the less loaded one wins, so a node stuck on long Odoo requests (or frozen) stops getting new ones.
/// </summary>
public sealed class WeightedPowerOfTwoChoices(GatewayStatistics statistics, IOptions<GatewayOptions> options) : ILoadBalancingPolicy
{
    public const string PolicyName = "WeightedPowerOfTwoChoices";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations) =>
        Pick(cluster.ClusterId, availableDestinations, excluded: null);

    /// <summary>Picks among <paramref name="candidates"/> except <paramref name="excluded"/>; also used to choose a retry's node.</summary>
    public DestinationState? Pick(string clusterId, IReadOnlyList<DestinationState> candidates, IReadOnlyCollection<DestinationState>? excluded)
    {
        Span<int> eligible = candidates.Count <= 64 ? stackalloc int[candidates.Count] : new int[candidates.Count];
        var count = 0;
        var totalWeight = 0d;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (excluded is null || !excluded.Contains(candidates[i]))
            {
                eligible[count++] = i;
                totalWeight += Weight(candidates[i]);
            }
        }

        if (count == 0)
        {
            return null;
        }

        var first = Draw(candidates, eligible[..count], totalWeight, skip: -1);
        if (count == 1)
        {
            return candidates[first];
        }

        var second = Draw(candidates, eligible[..count], totalWeight - Weight(candidates[first]), skip: first);
        // Ties go to the first draw, so with no load at all the share of each node follows its weight.
        return Load(clusterId, candidates[second]) < Load(clusterId, candidates[first]) ? candidates[second] : candidates[first];
    }

    private int Draw(IReadOnlyList<DestinationState> candidates, ReadOnlySpan<int> eligible, double totalWeight, int skip)
    {
        var target = Random.Shared.NextDouble() * totalWeight;
        var last = -1;
        foreach (var index in eligible)
        {
            if (index == skip)
            {
                continue;
            }

            last = index;
            target -= Weight(candidates[index]);
            if (target < 0)
            {
                return index;
            }
        }

        return last;
    }

    private double Load(string clusterId, DestinationState destination) =>
        statistics.For(clusterId, destination.DestinationId).InFlight / Weight(destination);

    private double Weight(DestinationState destination) =>
        options.Value.Weights.TryGetValue(destination.DestinationId, out var weight) && weight > 0 ? weight : 1;
}
