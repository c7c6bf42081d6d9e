using System.Diagnostics;
using Npgsql;
using OdooAspire.ReplicaRouter.Backends;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>Replicas die, stop, lag and return while clients read through the router.</summary>
[Collection(DefaultRouterCollection.Name)]
public sealed class FailoverTests(DefaultRouterStack stack)
{
    private static readonly TimeSpan Readmission = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Stopping_a_replica_sends_new_connections_to_the_other_at_once_and_closes_its_sessions()
    {
        var (stopped, other) = (stack.Replicas[0], stack.Replicas[1]);
        var onStopped = await stack.OpenOnAsync(stopped);
        try
        {
            await stack.StopAsync(stopped);

            var stopwatch = Stopwatch.StartNew();
            var landings = new List<Landing>();
            for (var i = 0; i < 8; i++)
            {
                var (connection, landing) = await stack.OpenThroughRouterAsync();
                await connection.DisposeAsync();
                landings.Add(landing);
            }

            Assert.All(landings, landing => Assert.Equal(stack.PortOf(other), landing.Port));
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), $"8 connections after the stop took {stopwatch.Elapsed}");

            stopwatch.Restart();
            await using (var command = new NpgsqlCommand("SELECT 1", onStopped) { CommandTimeout = 10 })
            {
                await Assert.ThrowsAnyAsync<Exception>(() => command.ExecuteScalarAsync());
            }

            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"the session on {stopped} took {stopwatch.Elapsed} to fail: it hung");
            var status = await stack.WaitForStatesAsync(new Dictionary<string, BackendState> { [stopped] = BackendState.Ejected }, TimeSpan.FromSeconds(5));
            Assert.Equal(EjectionReason.Unreachable, status.Backends.Single(b => b.Name == stopped).Reason);
        }
        finally
        {
            await onStopped.DisposeAsync();
            await stack.StartAsync(stopped);
        }

        await stack.WaitUntilUsedAsync(stopped, Readmission);
    }

    [Fact]
    public async Task With_both_replicas_stopped_the_primary_serves_and_the_replicas_are_used_again_when_they_return()
    {
        try
        {
            foreach (var replica in stack.Replicas)
            {
                await stack.StopAsync(replica);
            }

            var stopwatch = Stopwatch.StartNew();
            var (connection, landing) = await stack.OpenThroughRouterAsync();
            await connection.DisposeAsync();

            Assert.False(landing.InRecovery);
            Assert.Equal(stack.PortOf(ResourceNames.PostgresPrimary), landing.Port);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), $"the fallback connection took {stopwatch.Elapsed}");
            var status = await stack.StatusAsync();
            Assert.True(status.Serving);
            Assert.False(status.OnReplicas);
        }
        finally
        {
            foreach (var replica in stack.Replicas)
            {
                await stack.StartAsync(replica);
            }
        }

        foreach (var replica in stack.Replicas)
        {
            await stack.WaitUntilUsedAsync(replica, Readmission);
        }
    }

    [Fact]
    public async Task A_replica_whose_replay_is_paused_is_ejected_for_lag_its_sessions_closed_between_transactions_and_readmitted_when_it_resumes()
    {
        var (paused, other) = (stack.Replicas[0], stack.Replicas[1]);
        var pausedDirect = await stack.App.ConnectionStringAsync(paused);
        var primary = await stack.App.ConnectionStringAsync(ResourceNames.PostgresPrimary);
        var onPaused = await stack.OpenOnAsync(paused);
        var inTransaction = await stack.OpenOnAsync(paused);
        try
        {
            await using (var begin = new NpgsqlCommand("BEGIN; SELECT 1", inTransaction))
            {
                await begin.ExecuteNonQueryAsync();
            }

            await Sql.ExecuteAsync(pausedDirect, "SELECT pg_wal_replay_pause()");
            await Sql.ExecuteAsync(primary, "CREATE TABLE IF NOT EXISTS router_lag_probe (at timestamptz)");
            await Sql.ExecuteAsync(primary, "INSERT INTO router_lag_probe VALUES (now())");

            // The stack's MaxLagTime is 2 s: the paused replica falls out of rotation shortly after.
            var status = await stack.WaitForStatesAsync(new Dictionary<string, BackendState> { [paused] = BackendState.Ejected }, TimeSpan.FromSeconds(10));
            var ejected = status.Backends.Single(b => b.Name == paused);
            Assert.Equal(EjectionReason.Lag, ejected.Reason);
            Assert.True(ejected.LagBytes > 0, "an ejection for lag shows the bytes behind");

            // An idle session is closed at once; one inside a transaction finishes it, then is closed.
            await using (var command = new NpgsqlCommand("SELECT 1", onPaused) { CommandTimeout = 10 })
            {
                await Assert.ThrowsAnyAsync<Exception>(() => command.ExecuteScalarAsync());
            }

            await using (var commit = new NpgsqlCommand("SELECT count(*) FROM pg_class; COMMIT", inTransaction) { CommandTimeout = 10 })
            {
                await commit.ExecuteNonQueryAsync();
            }

            await using (var after = new NpgsqlCommand("SELECT 1", inTransaction) { CommandTimeout = 10 })
            {
                await Assert.ThrowsAnyAsync<Exception>(() => after.ExecuteScalarAsync());
            }

            for (var i = 0; i < 4; i++)
            {
                var (connection, landing) = await stack.OpenThroughRouterAsync();
                await connection.DisposeAsync();
                Assert.Equal(stack.PortOf(other), landing.Port);
            }

            await Sql.ExecuteAsync(pausedDirect, "SELECT pg_wal_replay_resume()");
            await stack.WaitForStatesAsync(new Dictionary<string, BackendState> { [paused] = BackendState.Up }, TimeSpan.FromSeconds(10));
            await stack.WaitUntilUsedAsync(paused, Readmission);
        }
        finally
        {
            await onPaused.DisposeAsync();
            await inTransaction.DisposeAsync();
            await Sql.ExecuteAsync(pausedDirect, "SELECT pg_wal_replay_resume()");
        }
    }
}
