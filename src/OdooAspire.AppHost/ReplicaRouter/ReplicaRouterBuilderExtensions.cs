using Microsoft.Extensions.Configuration;
using OdooAspire.AppHost.Postgres;
using OdooAspire.AppHost.Runtime;

namespace OdooAspire.AppHost.ReplicaRouter;

/// <summary>The replica router: the PostgreSQL endpoint Odoo's read-only connections use.</summary>
public static class ReplicaRouterBuilderExtensions
{
    /// <summary>
    /// Adds the replica router <paramref name="name"/> in front of every replica of <paramref name="postgres"/>,
    /// with its primary as fallback; it waits for the primary only, so it serves even while replicas are down.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddReplicaRouter(this IDistributedApplicationBuilder builder, string name, RuntimeChoice runtime, PostgresTopology postgres)
    {
        const string section = ReplicaRouterEndpoints.ConfigurationSection;
        var router = builder.AddProject<Projects.OdooAspire_ReplicaRouter>(name)
            .WithHttpEndpoint(name: ReplicaRouterEndpoints.Http)
            // Not proxied: a DCP proxy would accept a client and then hang or close, defeating "refuse fast".
            .WithEndpoint(name: ReplicaRouterEndpoints.Postgres, scheme: "tcp", env: $"{section}__ListenPort", isProxied: false)
            .WithHttpHealthCheck("/health", endpointName: ReplicaRouterEndpoints.Http)
            .WithReference(postgres.Primary.Resource)
            .WithEnvironment($"{section}__Primary", postgres.Primary.Name)
            .WaitFor(postgres.Primary.Resource)
            .WithIconName("ArrowSplit");

        for (var i = 0; i < postgres.Replicas.Count; i++)
        {
            router.WithReference(postgres.Replicas[i].Resource)
                .WithEnvironment($"{section}__Replicas__{i}", postgres.Replicas[i].Name);
        }

        // Deployed, or next to Odoo containers, the router is reached over a container network, not loopback.
        if (builder.ExecutionContext.IsPublishMode || runtime.IsContainers)
        {
            router.WithEnvironment($"{section}__ListenAddress", "0.0.0.0");
        }

        // Tuning (ReplicaRouter:WhenNoReplica, :MaxLagTime, …) is AppHost configuration, passed through as is.
        foreach (var (key, value) in builder.Configuration.GetSection(section).AsEnumerable(makePathsRelative: true))
        {
            if (value is not null)
            {
                router.WithEnvironment($"{section}__{key.Replace(":", "__", StringComparison.Ordinal)}", value);
            }
        }

        // Socket continuations run on the epoll thread: a relay hop without a thread-pool handoff. One epoll thread for
        // every socket: under load each wake-up relays several messages (bench/replica-router/RESULTS.md).
        return router.WithEnvironment("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1")
            .WithEnvironment("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT", "1");
    }
}
