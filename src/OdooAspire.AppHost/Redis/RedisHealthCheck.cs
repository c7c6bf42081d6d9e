using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace OdooAspire.AppHost.Redis;

/// <summary>Healthy when Redis answers PING with the stack's password.</summary>
public sealed class RedisHealthCheck(IResourceWithConnectionString redis) : IHealthCheck
{
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
        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            await connection.GetDatabase().PingAsync().ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (RedisException ex)
        {
            return HealthCheckResult.Unhealthy($"{redis.Name} does not answer PING: {ex.Message}", ex);
        }
    }
}
