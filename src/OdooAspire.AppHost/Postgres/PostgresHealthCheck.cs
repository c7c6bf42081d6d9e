using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace OdooAspire.AppHost.Postgres;

/// <summary>
/// Healthy when the server accepts a query in the role it should have: a primary that is not in recovery,
/// or a replica that is. "WaitFor(pg-replica-1)" then means the standby already serves reads.
/// </summary>
public sealed class PostgresHealthCheck(IResourceWithConnectionString server, PostgresRole role) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var connectionString = await server.GetConnectionStringAsync(cancellationToken).ConfigureAwait(false);
        if (connectionString is null)
        {
            return HealthCheckResult.Unhealthy($"{server.Name} has no connection string yet");
        }

        var csb = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 3, CommandTimeout = 3 };
        try
        {
            await using var connection = new NpgsqlConnection(csb.ConnectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
            var inRecovery = (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            var expected = role == PostgresRole.Replica;
            return inRecovery == expected
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"{server.Name} is {(inRecovery ? "in recovery" : "not in recovery")}; expected a {role.ToString().ToLowerInvariant()}");
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"{server.Name} does not accept queries: {ex.Message}", ex);
        }
    }
}
