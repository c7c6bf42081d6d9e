using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OdooAspire.AppHost.Runtime;

namespace OdooAspire.AppHost.Redis;

/// <summary>The Redis that holds every Odoo node's HTTP sessions.</summary>
public static class SessionStoreExtensions
{
    /// <summary>
    /// Adds Redis <paramref name="name"/> with the <c>redis-password</c> parameter and append-only persistence:
    /// Aspire's Redis container, or Debian's redis-server as a process.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddSessionStore(this IDistributedApplicationBuilder builder, string name, RuntimeChoice runtime)
    {
        var password = builder.AddSecret(ResourceNames.RedisPassword);
        if (runtime.IsContainers)
        {
            var container = builder.AddRedis(name, password: password)
                .WithDataVolume()
                // AddRedis renders "redis-server --requirepass …" as the last argument; sessions must survive a restart.
                .WithArgs(context => context.Args[^1] = $"{context.Args[^1]} --appendonly yes --appendfsync everysec");
            return builder.CreateResourceBuilder<IResourceWithConnectionString>(container.Resource);
        }

        var server = Executables.Find("redis-server")
            ?? throw new MissingPrerequisiteException("redis-server not found on PATH: apt-get install redis-server");

        var runDirectory = builder.RunDirectory();
        var redis = builder.AddResource(new RedisProcessResource(name, "/bin/bash", runDirectory, password.Resource))
            .WithArgs(builder.ScriptPath("redis", "redis.sh"))
            .WithEndpoint(name: RedisProcessResource.PrimaryEndpointName, scheme: "tcp", env: "REDIS_PORT", isProxied: false)
            .WithEnvironment("REDIS_SERVER", server)
            .WithEnvironment("REDIS_PASSWORD", password)
            .WithEnvironment("REDIS_DIR", Path.Combine(runDirectory, name))
            .WithIconName("Database");

        var key = $"{name}_check";
        builder.Services.AddHealthChecks()
            .Add(new HealthCheckRegistration(key, _ => new RedisHealthCheck(redis.Resource), failureStatus: null, tags: null));
        return builder.CreateResourceBuilder<IResourceWithConnectionString>(redis.WithHealthCheck(key).Resource);
    }
}
