using System.Diagnostics;
using System.Net.Sockets;
using Npgsql;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>
/// One replica, room for 4 connections in their startup phase and 12 sessions past it, and a startup timeout long
/// enough that only the starting budget, not the timeout, can make room during a test.
/// </summary>
public sealed class StartingBudgetStack() : RouterStack(
    "--OdooAspire:PostgresReplicas=1", $"--ReplicaRouter:MaxStartingClients={StartingBudgetTests.Starting}",
    $"--ReplicaRouter:MaxClients={StartingBudgetTests.MaxClients}", "--ReplicaRouter:StartupTimeout=00:00:30");

/// <summary>Sockets that never finish their startup phase take the starting budget only: real clients still get in.</summary>
public sealed class StartingBudgetTests(StartingBudgetStack stack) : IClassFixture<StartingBudgetStack>
{
    public const int Starting = 4;
    public const int MaxClients = 12;

    /// <summary>
    /// A login on a busy shared machine, well inside the client's 5 s connect timeout; a client the flood held back would
    /// wait for the 30 s startup timeout, or be refused and send Odoo to the primary for 20 minutes.
    /// </summary>
    private static readonly TimeSpan NormalLogin = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task A_flood_of_silent_sockets_beyond_both_budgets_does_not_stop_real_clients_from_connecting_and_querying_at_once()
    {
        const int flood = 200;
        var before = await QuietStatusAsync();
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < flood; i++)
            {
                silent.Add(await stack.ConnectRawAsync());
            }

            // The kernel hands silent sockets over only after TCP_DEFER_ACCEPT's second: real clients keep arriving meanwhile,
            // until every silent socket is either waiting in the starting budget or was evicted from it.
            var deadline = Stopwatch.StartNew();
            RouterStatusDocument status;
            do
            {
                await ARealClientGetsInAtOnceAsync();
                status = await stack.StatusAsync();
            }
            while (TakenIn(status) < flood && deadline.Elapsed < TimeSpan.FromSeconds(15));

            Assert.Equal(flood, TakenIn(status));
            Assert.InRange(status.StartingClients, 1, Starting);
            await ARealClientGetsInAtOnceAsync();
        }
        finally
        {
            silent.ForEach(s => s.Dispose());
        }

        long TakenIn(RouterStatusDocument status) => status.StartingEvicted - before.StartingEvicted + status.StartingClients;
    }

    [Fact]
    public async Task When_the_starting_budget_is_full_the_longest_waiting_connection_is_closed_with_an_error_naming_the_setting()
    {
        var before = await QuietStatusAsync();
        using var stalled = await stack.ConnectRawAsync();
        // Part of a header: the kernel hands it over at once, so it is the longest-waiting one; having sent something does not save it.
        await stalled.SendAsync(new byte[] { 0, 0, 0 });
        await Poll.UntilAsync(stack.StatusAsync, s => s.StartingClients == 1, TimeSpan.FromSeconds(5), "the stalled connection in its startup phase");

        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < Starting; i++)
            {
                silent.Add(await stack.ConnectRawAsync());
            }

            var answer = System.Text.Encoding.UTF8.GetString(await RouterStack.ReadUntilClosedAsync(stalled, TimeSpan.FromSeconds(10)));

            Assert.Contains("53300", answer);
            Assert.Contains($"MaxStartingClients={Starting}", answer);
            var status = await Poll.UntilAsync(stack.StatusAsync, s => s.StartingClients == Starting, TimeSpan.FromSeconds(5), "the silent sockets filling the starting budget");
            Assert.Equal(1, status.StartingEvicted - before.StartingEvicted);
        }
        finally
        {
            silent.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Sessions_past_their_startup_phase_are_served_beyond_the_starting_budget_up_to_max_clients()
    {
        var held = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < MaxClients; i++)
            {
                var (connection, landing) = await stack.OpenThroughRouterAsync();
                held.Add(connection);
                Assert.True(landing.InRecovery);
            }

            var status = await stack.StatusAsync();
            Assert.Equal(MaxClients, status.Clients);
            Assert.Equal(0, status.StartingClients);

            var error = await Assert.ThrowsAsync<PostgresException>(() => stack.OpenThroughRouterAsync());
            Assert.Equal(PostgresErrorCodes.TooManyConnections, error.SqlState);
            Assert.Contains($"MaxClients={MaxClients}", error.MessageText);
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>The status once sockets a previous test closed have left the startup phase.</summary>
    private Task<RouterStatusDocument> QuietStatusAsync() =>
        Poll.UntilAsync(stack.StatusAsync, s => s.StartingClients == 0, TimeSpan.FromSeconds(5), "no connection in its startup phase");

    private async Task ARealClientGetsInAtOnceAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        var (connection, landing) = await stack.OpenThroughRouterAsync();
        await connection.DisposeAsync();

        Assert.True(landing.InRecovery);
        Assert.True(stopwatch.Elapsed < NormalLogin, $"a real client took {stopwatch.Elapsed.TotalMilliseconds:0} ms to log in and query");
    }
}
