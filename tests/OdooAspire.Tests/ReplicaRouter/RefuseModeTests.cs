using System.Diagnostics;
using Npgsql;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>One replica, and the router configured to refuse rather than fall back to the primary.</summary>
public sealed class RefuseModeStack() : RouterStack("--OdooAspire:PostgresReplicas=1", "--ReplicaRouter:WhenNoReplica=Refuse");

public sealed class RefuseModeTests(RefuseModeStack stack) : IClassFixture<RefuseModeStack>
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

        await stack.WaitUntilUsedAsync(replica, TimeSpan.FromSeconds(30));
    }
}
