using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OdooAspire.AppHost.Runtime;

namespace OdooAspire.AppHost.Redis;

/// <summary>The Redis that holds every Odoo node's HTTP sessions.</summary>
public static partial class SessionStoreExtensions
{
    public const string MaxMemoryKey = "OdooAspire:SessionStoreMaxMemory";

    /// <summary>About 760 000 visitors' default-only sessions (352 bytes each) or 440 000 logged-in ones (610 bytes).</summary>
    public const string DefaultMaxMemory = "256mb";

    /// <summary>
    /// Adds Redis <paramref name="name"/> with the <c>redis-password</c> parameter, append-only persistence and a memory
    /// limit (<c>OdooAspire:SessionStoreMaxMemory</c>) that refuses new sessions when reached instead of evicting live ones:
    /// Aspire's Redis container, or Debian's redis-server as a process.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddSessionStore(this IDistributedApplicationBuilder builder, string name, RuntimeChoice runtime)
    {
        var password = builder.AddSecret(ResourceNames.RedisPassword);
        string[] memoryLimit = ["--maxmemory", MaxMemory(builder.Configuration), "--maxmemory-policy", "noeviction"];
        if (runtime.IsContainers)
        {
            var container = builder.AddRedis(name, password: password)
                .WithDataVolume()
                // AddRedis renders "redis-server --requirepass …" as the last argument; sessions must survive a restart.
                .WithArgs(context => context.Args[^1] = $"{context.Args[^1]} --appendonly yes --appendfsync everysec {string.Join(' ', memoryLimit)}")
                .WithSessionStoreHealthCheck();
            return builder.CreateResourceBuilder<IResourceWithConnectionString>(container.Resource);
        }

        var server = Executables.Find("redis-server")
            ?? throw new MissingPrerequisiteException("redis-server not found on PATH: apt-get install redis-server");

        var runDirectory = builder.RunDirectory();
        var redis = builder.AddResource(new RedisProcessResource(name, "/bin/bash", runDirectory, password.Resource))
            .WithArgs([builder.ScriptPath("redis", "redis.sh"), .. memoryLimit])
            .WithEndpoint(name: RedisProcessResource.PrimaryEndpointName, scheme: "tcp", env: "REDIS_PORT", isProxied: false)
            .WithEnvironment("REDIS_SERVER", server)
            .WithEnvironment("REDIS_PASSWORD", password)
            .WithEnvironment("REDIS_DIR", Path.Combine(runDirectory, name))
            .WithIconName("Database")
            .WithSessionStoreHealthCheck();
        return builder.CreateResourceBuilder<IResourceWithConnectionString>(redis.Resource);
    }

    /// <summary>
    /// The dashboard's view of the store: whether it answers and how full it is (Degraded near the limit). The container
    /// keeps AddRedis's own check too, a PING that knows nothing of the limit.
    /// </summary>
    private static IResourceBuilder<T> WithSessionStoreHealthCheck<T>(this IResourceBuilder<T> redis) where T : IResourceWithConnectionString
    {
        var key = HealthCheckKey(redis.Resource.Name);
        redis.ApplicationBuilder.Services.AddHealthChecks()
            .Add(new HealthCheckRegistration(key, _ => new RedisHealthCheck(redis.Resource), failureStatus: null, tags: null));
        return redis.WithHealthCheck(key);
    }

    /// <summary>The name of <see cref="RedisHealthCheck"/> on the store's resource.</summary>
    public static string HealthCheckKey(string name) => $"{name}_session_store";

    /// <summary>The configured limit in Redis's notation, refused when it would leave the store unbounded.</summary>
    public static string MaxMemory(IConfiguration configuration)
    {
        var value = configuration[MaxMemoryKey] is { Length: > 0 } configured ? configured.Trim().ToLowerInvariant() : DefaultMaxMemory;
        if (!MemorySize().IsMatch(value))
        {
            throw new MissingPrerequisiteException(
                $"{MaxMemoryKey}='{value}' is not a memory size above zero: use Redis's notation, e.g. {DefaultMaxMemory} or 2gb");
        }

        return value;
    }

    [GeneratedRegex("^[1-9][0-9]*(b|k|kb|m|mb|g|gb)?$")]
    private static partial Regex MemorySize();
}
