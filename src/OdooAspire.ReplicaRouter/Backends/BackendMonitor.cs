using Microsoft.Extensions.Options;
using Npgsql;

namespace OdooAspire.ReplicaRouter.Backends;

/// <summary>
/// Checks every backend on its own loop every <c>CheckInterval</c>: reachable, in the expected role, and
/// (replicas) how far behind the primary's WAL position their replay is.
/// </summary>
public sealed class BackendMonitor(BackendPool pool, IOptions<ReplicaRouterOptions> options) : BackgroundService
{
    private const string CheckSql =
        "SELECT pg_is_in_recovery(), pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, '0/0')::bigint";

    private readonly ReplicaRouterOptions _options = options.Value;
    private int _firstRoundPending = pool.All.Count;

    /// <summary>True once every backend has been checked once (the router's /health waits for it).</summary>
    public bool FirstRoundDone => Volatile.Read(ref _firstRoundPending) <= 0;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(pool.All.Select(backend => WatchAsync(backend, stoppingToken)));

    private async Task WatchAsync(Backend backend, CancellationToken stoppingToken)
    {
        var csb = new NpgsqlConnectionStringBuilder(backend.HealthConnectionString)
        {
            Pooling = false,
            Timeout = Math.Max(1, (int)Math.Ceiling(_options.CheckTimeout.TotalSeconds)),
            CommandTimeout = Math.Max(1, (int)Math.Ceiling(_options.CheckTimeout.TotalSeconds)),
            CancellationTimeout = -1,
            ApplicationName = "replica-router health check",
        };
        NpgsqlConnection? connection = null;
        using var timer = new PeriodicTimer(_options.CheckInterval);
        var first = true;
        try
        {
            do
            {
                CheckResult result;
                (result, connection) = await CheckAsync(backend, csb.ConnectionString, connection, stoppingToken);
                pool.Apply(backend, backend.Health.Observe(result, pool.Now));
                if (first)
                {
                    first = false;
                    Interlocked.Decrement(ref _firstRoundPending);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private async Task<(CheckResult, NpgsqlConnection?)> CheckAsync(Backend backend, string connectionString, NpgsqlConnection? connection, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_options.CheckTimeout);
        try
        {
            // One connection kept open per backend: a check is one round trip, not a new backend process.
            if (connection is null)
            {
                connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(timeout.Token);
            }

            await using var command = new NpgsqlCommand(CheckSql, connection);
            await using var reader = await command.ExecuteReaderAsync(timeout.Token);
            await reader.ReadAsync(timeout.Token);
            var inRecovery = reader.GetBoolean(0);
            var lsn = reader.IsDBNull(1) ? (long?)null : reader.GetInt64(1);
            var now = pool.Now;
            if (backend.Role == BackendRole.Primary)
            {
                if (!inRecovery && lsn is { } current)
                {
                    pool.Lag.RecordPrimary(current, now);
                }

                return (new CheckResult(true, inRecovery, null, null, null), connection);
            }

            var (bytes, time) = inRecovery && lsn is { } replay ? pool.Lag.LagOf(replay, now) : (null, null);
            return (new CheckResult(true, inRecovery, bytes, time, null), connection);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested && ex is NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException or IOException)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            var error = ex is OperationCanceledException ? $"no answer within {_options.CheckTimeout.TotalMilliseconds:0} ms" : ex.Message;
            return (CheckResult.Unreachable(error), null);
        }
    }
}
