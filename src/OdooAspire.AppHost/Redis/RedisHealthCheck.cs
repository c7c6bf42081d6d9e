using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace OdooAspire.AppHost.Redis;

/// <summary>
/// Healthy when Redis answers with the stack's password and has room; degraded from <see cref="DegradedFill"/> of its
/// maxmemory, since at the limit it refuses every new session; unhealthy when it does not answer.
/// </summary>
public sealed class RedisHealthCheck(IResourceWithConnectionString redis) : IHealthCheck
{
    /// <summary>Early enough to raise the limit before visitors get 503s.</summary>
    public const double DegradedFill = 0.9;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var connectionString = await redis.GetConnectionStringAsync(cancellationToken).ConfigureAwait(false);
        if (connectionString is null)
        {
            return HealthCheckResult.Unhealthy($"{redis.Name} has no connection string yet");
        }

        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 3000;
        options.ConnectRetry = 0;
        // StackExchange.Redis's own latch on INFO; the password already grants everything on this server.
        options.AllowAdmin = true;
        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            var memory = (await connection.GetServers()[0].InfoAsync("memory").ConfigureAwait(false))
                .SelectMany(section => section)
                .ToDictionary(field => field.Key, field => field.Value);
            long Bytes(string field) => memory.TryGetValue(field, out var value) ? long.Parse(value, CultureInfo.InvariantCulture) : 0;
            return Fill(Bytes("used_memory") - Bytes("mem_not_counted_for_evict"), Bytes("maxmemory"));
        }
        catch (RedisException ex)
        {
            return HealthCheckResult.Unhealthy($"{redis.Name} does not answer: {ex.Message}", ex);
        }
    }

    /// <summary>How full the store is, counted as Redis counts it against maxmemory.</summary>
    public static HealthCheckResult Fill(long used, long limit)
    {
        if (limit == 0)
        {
            return HealthCheckResult.Degraded($"session store has no memory limit: set {SessionStoreExtensions.MaxMemoryKey}");
        }

        var fill = (double)used / limit;
        var description = string.Create(CultureInfo.InvariantCulture,
            $"session store {fill * 100:0} % full ({used / Megabyte:0.#} of {limit / Megabyte:0.#} MB)");
        return fill < DegradedFill
            ? HealthCheckResult.Healthy(description)
            : HealthCheckResult.Degraded($"{description}: new sessions are refused when full; raise {SessionStoreExtensions.MaxMemoryKey}");
    }

    private const double Megabyte = 1024 * 1024;
}
