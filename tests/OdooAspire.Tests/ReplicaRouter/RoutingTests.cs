using System.Diagnostics;
using Npgsql;
using OdooAspire.ReplicaRouter;
using OdooAspire.ReplicaRouter.Backends;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>Read-only connections through the router on the real primary and two replicas.</summary>
[Collection(DefaultRouterCollection.Name)]
public sealed class RoutingTests(DefaultRouterStack stack)
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

    [Theory]
    [InlineData(SslMode.Disable)]
    [InlineData(SslMode.Prefer)]
    public async Task Npgsql_reads_from_a_replica_through_the_router(SslMode sslMode)
    {
        var (connection, landing) = await stack.OpenThroughRouterAsync(sslMode);
        await using (connection)
        {
            Assert.True(landing.InRecovery);
            await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_class", connection);
            Assert.True((long)(await command.ExecuteScalarAsync())! > 0);
        }
    }

    [Fact]
    public async Task A_client_that_requires_TLS_is_told_the_router_does_not_offer_it()
    {
        var error = await Assert.ThrowsAnyAsync<NpgsqlException>(async () =>
        {
            await using var connection = new NpgsqlConnection(await stack.RouterConnectionStringAsync(SslMode.Require));
            await connection.OpenAsync();
        });
        Assert.Contains("SSL", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("sslmode=disable gssencmode=disable")]
    [InlineData("sslmode=prefer gssencmode=prefer")]
    public async Task Psql_reads_from_a_replica_through_the_router(string negotiation)
    {
        var endpoint = stack.App.GetEndpoint(ResourceNames.ReplicaRouter, AppHost.ReplicaRouter.ReplicaRouterEndpoints.Postgres);
        var primary = new NpgsqlConnectionStringBuilder(await stack.App.ConnectionStringAsync(ResourceNames.PostgresPrimary));
        var start = new ProcessStartInfo("psql", [$"host={endpoint.Host} port={endpoint.Port} user={primary.Username} dbname=postgres {negotiation}", "-Atc", "SELECT pg_is_in_recovery()"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["PGPASSWORD"] = primary.Password, ["PGCONNECT_TIMEOUT"] = "5" },
        };
        using var psql = Process.Start(start)!;
        var output = psql.StandardOutput.ReadToEndAsync();
        var error = psql.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await psql.WaitForExitAsync(cts.Token);

        Assert.True(psql.ExitCode == 0, $"psql failed: {await error}");
        Assert.Equal("t", (await output).Trim());
    }

    [Fact]
    public async Task A_wrong_password_through_the_router_gets_the_servers_own_error()
    {
        var csb = new NpgsqlConnectionStringBuilder(await stack.RouterConnectionStringAsync()) { Password = "wrong" };
        var error = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var connection = new NpgsqlConnection(csb.ConnectionString);
            await connection.OpenAsync();
        });
        Assert.Equal(PostgresErrorCodes.InvalidPassword, error.SqlState);
    }

    [Fact]
    public async Task Cancelling_a_query_through_the_router_stops_it_on_its_replica()
    {
        var (connection, landing) = await stack.OpenThroughRouterAsync();
        await using (connection)
        {
            var marker = $"router_cancel_{Guid.NewGuid():N}";
            await using var command = new NpgsqlCommand($"SELECT pg_sleep(30) /* {marker} */", connection) { CommandTimeout = 60 };
            var running = command.ExecuteScalarAsync();
            var replica = stack.Replicas.Single(r => stack.PortOf(r) == landing.Port);
            var direct = await stack.App.ConnectionStringAsync(replica);
            await Poll.UntilAsync(
                () => Sql.ScalarAsync<long>(direct, $"SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%{marker}%' AND pid <> pg_backend_pid()"),
                count => count == 1,
                TimeSpan.FromSeconds(10),
                "the pg_sleep running on the replica");

            var stopwatch = Stopwatch.StartNew();
            command.Cancel();
            // Npgsql reports a cancelled query as OperationCanceledException around the server's own error.
            var cancelled = await Assert.ThrowsAsync<OperationCanceledException>(() => running);

            Assert.Equal(PostgresErrorCodes.QueryCanceled, Assert.IsType<PostgresException>(cancelled.InnerException).SqlState);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"cancel took {stopwatch.Elapsed}");
        }
    }

    [Fact]
    public async Task A_session_is_relayed_in_the_kernel_after_login_and_its_traffic_shows_in_status()
    {
        var status = await stack.StatusAsync();
        Assert.True(status.Relay == RelayMode.Kernel, $"sessions are relayed in user space on this machine: {status.KernelRelayUnavailable}");
        var (connection, landing) = await stack.OpenThroughRouterAsync();
        await using (connection)
        {
            var replica = stack.Replicas.Single(r => stack.PortOf(r) == landing.Port);
            var before = (await stack.StatusAsync()).Backends.Single(b => b.Name == replica);
            Assert.True(before.KernelRelayedConnections >= 1, $"{replica}: {before.KernelRelayedConnections} kernel-relayed connections");

            var length = await RouterStack.ReadLargeAnswerAsync(connection);

            var after = (await stack.StatusAsync()).Backends.Single(b => b.Name == replica);
            Assert.True(after.BytesToClient - before.BytesToClient >= length,
                $"{replica} relayed a {length}-byte answer, status counted {after.BytesToClient - before.BytesToClient} bytes");
        }
    }

    [Fact]
    public async Task Sessions_that_ended_leave_nothing_behind_in_the_kernel_relay()
    {
        var opened = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                opened.Add((await stack.OpenThroughRouterAsync()).Connection);
            }

            var status = await stack.StatusAsync();
            Assert.Equal(2 * status.Backends.Sum(b => b.KernelRelayedConnections), status.KernelRelaySockets);
            Assert.True(status.KernelRelaySockets >= 16, $"{status.KernelRelaySockets} sockets in the kernel relay for 8 open sessions");
        }
        finally
        {
            foreach (var connection in opened)
            {
                await connection.DisposeAsync();
            }
        }

        await Poll.UntilAsync(stack.StatusAsync, s => s.KernelRelaySockets == 0, TimeSpan.FromSeconds(10), "no socket left in the kernel relay");
    }

    [Fact]
    public async Task Status_lists_every_backend_with_its_state_and_lag()
    {
        var status = await stack.StatusAsync();

        Assert.True(status.Serving && status.OnReplicas);
        Assert.Equal([.. stack.Replicas, ResourceNames.PostgresPrimary], status.Backends.Select(b => b.Name));
        Assert.All(status.Backends, b => Assert.Equal(BackendState.Up, b.State));
        Assert.All(status.Backends.Where(b => b.Role == BackendRole.Replica), b => Assert.NotNull(b.LagBytes));
    }
}
