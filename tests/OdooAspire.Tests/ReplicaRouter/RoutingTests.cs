using Npgsql;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>Read-only connections through the router on the real primary and two replicas.</summary>
public sealed class RoutingTests(DefaultRouterStack stack) : IClassFixture<DefaultRouterStack>
{
    [Fact]
    public async Task Connections_through_the_router_land_on_replicas_and_spread_across_both()
    {
        var opened = new List<NpgsqlConnection>();
        try
        {
            var landings = new List<Landing>();
            for (var i = 0; i < 6; i++)
            {
                var (connection, landing) = await stack.OpenThroughRouterAsync();
                opened.Add(connection);
                landings.Add(landing);
            }

            Assert.All(landings, landing => Assert.True(landing.InRecovery, $"a connection landed on port {landing.Port}, not a replica"));
            var replicaPorts = stack.Replicas.Select(stack.PortOf).Order().ToArray();
            Assert.Equal(replicaPorts, landings.Select(l => l.Port).Distinct().Order().ToArray());
            Assert.Equal(3, landings.Count(l => l.Port == replicaPorts[0]));
        }
        finally
        {
            foreach (var connection in opened)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
