using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Spine;

/// <summary>A replica that was stopped catches up from its slot when started again (its own stack: it stops things).</summary>
public sealed class ReplicaRestartTests : IAsyncLifetime
{
    private DistributedApplication _app = null!;

    public async Task InitializeAsync() => _app = await TestStack.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Every_resource_of_the_spine_becomes_running_and_healthy_within_two_minutes()
    {
        foreach (var resource in SpineResources.All)
        {
            await _app.WaitHealthyAsync(resource, TimeSpan.FromMinutes(2));
            Assert.True(_app.ResourceNotifications.TryGetCurrentState(resource, out var state), resource);
            Assert.Equal(KnownResourceStates.Running, state.Snapshot.State?.Text);
            Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, state.Snapshot.HealthStatus);
        }
    }

    [Fact]
    public async Task A_stopped_replica_catches_up_on_writes_made_while_it_was_down()
    {
        var replica = ResourceNames.PostgresReplica(1);
        foreach (var resource in SpineResources.All)
        {
            await _app.WaitHealthyAsync(resource);
        }

        var primary = await _app.ConnectionStringAsync(ResourceNames.PostgresPrimary);
        var replicaConnection = await _app.ConnectionStringAsync(replica);
        await Sql.ExecuteAsync(primary, "CREATE TABLE IF NOT EXISTS restart_probe (marker text PRIMARY KEY)");

        await _app.ResourceCommands.ExecuteCommandAsync(replica, KnownResourceCommands.StopCommand);
        using (var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await _app.ResourceNotifications.WaitForResourceAsync(replica, KnownResourceStates.Finished, stopped.Token);
        }

        var marker = Guid.NewGuid().ToString("N");
        await Sql.ExecuteAsync(primary, $"INSERT INTO restart_probe VALUES ('{marker}')");
        var streaming = await Sql.ReplicationAsync(primary);
        Assert.DoesNotContain(streaming, row => row.Name == replica);

        await _app.ResourceCommands.ExecuteCommandAsync(replica, KnownResourceCommands.StartCommand);
        await _app.WaitHealthyAsync(replica, TimeSpan.FromSeconds(60));

        await Poll.UntilAsync(
            () => Sql.ScalarAsync<long>(replicaConnection, $"SELECT count(*) FROM restart_probe WHERE marker = '{marker}'"),
            count => count == 1,
            TimeSpan.FromSeconds(10),
            "the row written while the replica was down");
        await Poll.UntilAsync(
            () => Sql.ReplicationAsync(primary),
            rows => rows.Any(row => row.Name == replica && row.State == "streaming"),
            TimeSpan.FromSeconds(10),
            $"{replica} streaming again");
    }
}
