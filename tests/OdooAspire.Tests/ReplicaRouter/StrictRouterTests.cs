using System.Diagnostics;
using Npgsql;
using OdooAspire.ReplicaRouter;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>
/// One replica, a router that refuses rather than falls back to the primary, at most 3 clients, and the user-space
/// relay (what a host without the kernel relay runs), so it stays covered where the kernel one is available.
/// </summary>
public sealed class StrictRouterStack() : RouterStack(
    "--OdooAspire:PostgresReplicas=1", "--ReplicaRouter:WhenNoReplica=Refuse", "--ReplicaRouter:MaxClients=3", "--ReplicaRouter:Relay=UserSpace");

public sealed class StrictRouterTests(StrictRouterStack stack) : IClassFixture<StrictRouterStack>
{
    [Fact]
    public async Task With_its_only_replica_stopped_the_router_refuses_at_once_and_serves_again_when_it_returns()
    {
        var replica = stack.Replicas.Single();
        try
        {
            await stack.StopAsync(replica);

            var stopwatch = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<PostgresException>(() => stack.OpenThroughRouterAsync());

            Assert.Equal(PostgresErrorCodes.CannotConnectNow, error.SqlState);
            Assert.Contains("no healthy replica", error.MessageText);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), $"the refusal took {stopwatch.Elapsed}");
        }
        finally
        {
            await stack.StartAsync(replica);
        }

        await stack.WaitUntilUsedAsync(stack.Replicas.Single(), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Relayed_in_user_space_a_session_carries_a_large_answer_and_status_counts_it()
    {
        var status = await stack.StatusAsync();
        Assert.Equal(RelayMode.UserSpace, status.Relay);
        Assert.Contains("Relay=UserSpace", status.KernelRelayUnavailable);

        var (connection, _) = await stack.OpenThroughRouterAsync();
        await using (connection)
        {
            var before = (await stack.StatusAsync()).Backends.Single(b => b.Name == stack.Replicas.Single());
            var length = await RouterStack.ReadLargeAnswerAsync(connection);

            var after = (await stack.StatusAsync()).Backends.Single(b => b.Name == stack.Replicas.Single());
            Assert.Equal(0, after.KernelRelayedConnections);
            Assert.True(after.BytesToClient - before.BytesToClient >= length);
        }
    }

    [Fact]
    public async Task A_client_beyond_max_clients_gets_too_many_connections_and_one_fits_again_when_another_leaves()
    {
        var held = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                held.Add((await stack.OpenThroughRouterAsync()).Connection);
            }

            var error = await Assert.ThrowsAsync<PostgresException>(() => stack.OpenThroughRouterAsync());
            Assert.Equal(PostgresErrorCodes.TooManyConnections, error.SqlState);
            Assert.Contains("MaxClients=3", error.MessageText);

            await held[0].DisposeAsync();
            held.RemoveAt(0);
            await Infrastructure.Poll.UntilAsync(
                async () =>
                {
                    var (connection, landing) = await stack.OpenThroughRouterAsync();
                    await connection.DisposeAsync();
                    return landing;
                },
                landing => landing.InRecovery,
                TimeSpan.FromSeconds(5),
                "a connection once another client left");
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
