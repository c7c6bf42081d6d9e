using System.Reflection;
using OdooAspire.AppHost.ReplicaRouter;
using OdooAspire.ReplicaRouter;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>The AppHost's model of the router: what it hands the router must be what the router reads.</summary>
public sealed class RouterModelTests
{
    [Fact]
    public async Task The_router_gets_every_replica_and_the_primary_under_option_names_it_binds()
    {
        var environment = await RouterEnvironmentAsync("--OdooAspire:Runtime=Processes");
        var section = ReplicaRouterOptions.SectionName + "__";
        var optionNames = typeof(ReplicaRouterOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).ToHashSet();

        foreach (var key in environment.Keys.Where(k => k.StartsWith(section, StringComparison.Ordinal)))
        {
            Assert.Contains(key[section.Length..].Split("__")[0], optionNames);
        }

        Assert.Equal(ResourceNames.PostgresPrimary, environment[section + nameof(ReplicaRouterOptions.Primary)]);
        Assert.Equal(ResourceNames.PostgresReplica(1), environment[section + nameof(ReplicaRouterOptions.Replicas) + "__0"]);
        Assert.Equal(ResourceNames.PostgresReplica(2), environment[section + nameof(ReplicaRouterOptions.Replicas) + "__1"]);
        Assert.Contains(section + nameof(ReplicaRouterOptions.ListenPort), environment.Keys);
        foreach (var server in new[] { ResourceNames.PostgresPrimary, ResourceNames.PostgresReplica(1), ResourceNames.PostgresReplica(2) })
        {
            Assert.Contains($"ConnectionStrings__{server}", environment.Keys);
        }
    }

    [Fact]
    public async Task Router_settings_given_to_the_AppHost_reach_the_router()
    {
        var environment = await RouterEnvironmentAsync("--OdooAspire:Runtime=Processes", "--ReplicaRouter:WhenNoReplica=Refuse", "--ReplicaRouter:MaxLagTime=00:00:03");

        Assert.Equal("Refuse", environment["ReplicaRouter__WhenNoReplica"]);
        Assert.Equal("00:00:03", environment["ReplicaRouter__MaxLagTime"]);
    }

    [Theory]
    [InlineData("Processes", null)]
    [InlineData("Containers", "0.0.0.0")]
    public async Task The_router_listens_on_loopback_unless_Odoo_containers_must_reach_it(string runtime, string? listenAddress)
    {
        var environment = await RouterEnvironmentAsync($"--OdooAspire:Runtime={runtime}");

        Assert.Equal(listenAddress, environment.GetValueOrDefault("ReplicaRouter__" + nameof(ReplicaRouterOptions.ListenAddress)) as string);
    }

    [Fact]
    public async Task The_router_waits_for_the_primary_only_and_offers_a_postgres_endpoint_without_a_proxy()
    {
        using var builder = await Infrastructure.TestStack.CreateBuilderAsync("--OdooAspire:Runtime=Processes");
        var router = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == ResourceNames.ReplicaRouter);

        var waits = router.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name);
        Assert.Equal([ResourceNames.PostgresPrimary], waits);
        var postgres = router.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == ReplicaRouterEndpoints.Postgres);
        Assert.False(postgres.IsProxied);
        Assert.Equal("tcp", postgres.UriScheme);
        Assert.Contains(router.Annotations.OfType<EndpointAnnotation>(), e => e.Name == ReplicaRouterEndpoints.Http);
    }

    /// <summary>The router's environment as its callbacks write it; values that are references stay unresolved, so nothing has to run.</summary>
    [Fact]
    public async Task The_bench_starts_the_router_with_the_runtime_settings_the_AppHost_gives_it()
    {
        var environment = await RouterEnvironmentAsync("--OdooAspire:Runtime=Processes");
        // The router's own socket-engine settings; Aspire adds DOTNET_* variables of its own (console colours) to every project.
        var runtimeSettings = environment.Where(e => e.Key.StartsWith("DOTNET_SYSTEM_NET_SOCKETS_", StringComparison.Ordinal)).ToList();
        var bench = await File.ReadAllTextAsync(FindUp(Path.Combine("bench", "replica-router", "bench.py")));

        Assert.Contains(runtimeSettings, e => e.Key == "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT");
        foreach (var (key, value) in runtimeSettings)
        {
            Assert.Contains($"\"{key}\": \"{value}\"", bench);
        }
    }

    private static string FindUp(string relativePath)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, relativePath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relativePath} not found above {AppContext.BaseDirectory}");
    }

    private static async Task<Dictionary<string, object>> RouterEnvironmentAsync(params string[] args)
    {
        using var builder = await Infrastructure.TestStack.CreateBuilderAsync(args);
        var router = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == ResourceNames.ReplicaRouter);
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), router, []);
        foreach (var callback in router.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return context.EnvironmentVariables;
    }
}
