using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OdooAspire.AppHost.Postgres;
using OdooAspire.AppHost.Redis;
using OdooAspire.AppHost.Runtime;
using OdooAspire.Odoo;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Spine;

/// <summary>The application model, built but not started, in both runtimes.</summary>
public sealed class AppModelTests
{
    private static readonly string[] Secrets =
        [ResourceNames.PostgresPassword, ResourceNames.PostgresReplicationPassword, ResourceNames.RedisPassword];

    [Theory]
    [InlineData("Processes")]
    [InlineData("Containers")]
    public async Task The_spine_has_the_resources_and_secret_parameters_of_the_architecture(string runtime)
    {
        await using var builder = await TestStack.CreateBuilderAsync($"--OdooAspire:Runtime={runtime}");
        var names = builder.Resources.Select(r => r.Name).ToList();

        foreach (var expected in SpineResources.All.Concat(Secrets))
        {
            Assert.Contains(expected, names);
        }

        Assert.DoesNotContain(ResourceNames.PostgresReplica(3), names);
        foreach (var secret in Secrets)
        {
            var parameter = Assert.IsType<ParameterResource>(builder.Resources.Single(r => r.Name == secret));
            Assert.True(parameter.Secret, $"{secret} must be a secret parameter");
        }
    }

    [Fact]
    public async Task The_process_runtime_has_no_container_resource_at_all()
    {
        await using var builder = await TestStack.CreateBuilderAsync("--OdooAspire:Runtime=Processes");

        Assert.Empty(builder.Resources.OfType<ContainerResource>());
        Assert.Equal(PostgresRole.Primary, Assert.IsType<PostgresProcessResource>(Resource(builder, ResourceNames.PostgresPrimary)).Role);
        foreach (var replica in SpineResources.Replicas)
        {
            Assert.Equal(PostgresRole.Replica, Assert.IsType<PostgresProcessResource>(Resource(builder, replica)).Role);
        }

        Assert.IsType<RedisProcessResource>(Resource(builder, ResourceNames.Redis));
    }

    [Fact]
    public async Task The_container_runtime_builds_primary_and_replicas_from_one_image_over_the_official_postgres()
    {
        await using var builder = await TestStack.CreateBuilderAsync("--OdooAspire:Runtime=Containers");

        var primary = Assert.IsType<PostgresServerResource>(Resource(builder, ResourceNames.PostgresPrimary));
        var primaryBuild = primary.Annotations.OfType<DockerfileBuildAnnotation>().Single();
        Assert.StartsWith("docker.io/library/postgres:", (string)primaryBuild.BuildArguments["POSTGRES_IMAGE"]!);
        Assert.True(File.Exists(Path.Combine(primaryBuild.ContextPath, "postgres.sh")), "the build context holds the replication scripts");
        foreach (var replica in SpineResources.Replicas)
        {
            var build = Assert.IsType<PostgresReplicaContainerResource>(Resource(builder, replica)).Annotations.OfType<DockerfileBuildAnnotation>().Single();
            Assert.Equal(primaryBuild.ContextPath, build.ContextPath);
            Assert.Equal(primaryBuild.BuildArguments["POSTGRES_IMAGE"], build.BuildArguments["POSTGRES_IMAGE"]);
        }

        var servers = builder.Resources.Where(r => SpineResources.All.Contains(r.Name));
        Assert.DoesNotContain(servers.SelectMany(r => r.Annotations.OfType<ContainerMountAnnotation>()), m => m.Type == ContainerMountType.BindMount);

        var redis = Assert.IsType<RedisResource>(Resource(builder, ResourceNames.Redis));
        var redisArgs = await ModelValues.ArgumentsAsync(redis);
        Assert.Contains("--appendonly yes", string.Join(' ', redisArgs));
        Assert.Contains(redis.Annotations.OfType<ContainerMountAnnotation>(), m => m.Type == ContainerMountType.Volume && m.Target == "/data");
    }

    [Fact]
    public async Task Each_replica_waits_for_the_primary_and_streams_from_its_own_slot()
    {
        await using var builder = await TestStack.CreateBuilderAsync("--OdooAspire:Runtime=Processes");
        ModelValues.AllocateEndpoints(builder);
        var primary = Resource(builder, ResourceNames.PostgresPrimary);

        var slots = new List<string>();
        foreach (var replica in SpineResources.Replicas.Select(name => Resource(builder, name)))
        {
            Assert.Contains(replica.Annotations.OfType<WaitAnnotation>(), w => w.Resource == primary);
            var environment = await ModelValues.EnvironmentAsync(replica);
            slots.Add(environment["REPLICATION_SLOT"]);
        }

        Assert.Equal(["pg_replica_1", "pg_replica_2"], slots);
        var primaryEnvironment = await ModelValues.EnvironmentAsync(primary);
        Assert.Equal("pg_replica_1 pg_replica_2", primaryEnvironment["REPLICA_SLOTS"]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task The_replica_count_is_configuration(int replicas)
    {
        await using var builder = await TestStack.CreateBuilderAsync("--OdooAspire:Runtime=Processes", $"--OdooAspire:PostgresReplicas={replicas}");

        var replicaNames = builder.Resources.OfType<PostgresProcessResource>()
            .Where(r => r.Role == PostgresRole.Replica)
            .Select(r => r.Name);
        Assert.Equal(Enumerable.Range(1, replicas).Select(ResourceNames.PostgresReplica), replicaNames);
    }

    [Theory]
    [InlineData("Processes", null, SessionStoreExtensions.DefaultMaxMemory)]
    [InlineData("Containers", null, SessionStoreExtensions.DefaultMaxMemory)]
    [InlineData("Processes", "1GB", "1gb")]
    [InlineData("Containers", "1GB", "1gb")]
    public async Task Redis_has_a_memory_limit_and_refuses_writes_at_it_instead_of_evicting_sessions(string runtime, string? configured, string limit)
    {
        string[] args = configured is null ? [$"--OdooAspire:Runtime={runtime}"] : [$"--OdooAspire:Runtime={runtime}", $"--{SessionStoreExtensions.MaxMemoryKey}={configured}"];
        await using var builder = await TestStack.CreateBuilderAsync(args);

        var redisArgs = string.Join(' ', await ModelValues.ArgumentsAsync(Resource(builder, ResourceNames.Redis)));
        Assert.Contains($"--maxmemory {limit} --maxmemory-policy noeviction", redisArgs);
    }

    [Theory]
    [InlineData("Processes")]
    [InlineData("Containers")]
    public async Task The_dashboard_sees_how_full_the_session_store_is_and_a_nearly_full_one_holds_no_node_back(string runtime)
    {
        await using var builder = await TestStack.CreateBuilderAsync($"--OdooAspire:Runtime={runtime}");
        var redis = Resource(builder, ResourceNames.Redis);

        var key = SessionStoreExtensions.HealthCheckKey(ResourceNames.Redis);
        Assert.Contains(redis.Annotations.OfType<HealthCheckAnnotation>(), check => check.Key == key);
        await using var services = builder.Services.BuildServiceProvider();
        var registrations = services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;
        Assert.IsType<RedisHealthCheck>(registrations.Single(r => r.Name == key).Factory(null!));
        // Degraded is not Healthy: a node waiting for a healthy store would not start while it is nearly full.
        foreach (var node in new[] { ResourceNames.OdooNode(1), ResourceNames.OdooNode(2), ResourceNames.OdooNode(3) })
        {
            Assert.Contains(Resource(builder, node).Annotations.OfType<WaitAnnotation>(), wait => wait.Resource == redis && wait.WaitType == WaitType.WaitUntilStarted);
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("lots")]
    [InlineData("-1mb")]
    public void A_session_store_limit_that_is_no_size_above_zero_is_refused_naming_the_setting(string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(SessionStoreExtensions.MaxMemoryKey, value)]).Build();

        var error = Assert.Throws<MissingPrerequisiteException>(() => SessionStoreExtensions.MaxMemory(configuration));

        Assert.StartsWith($"{SessionStoreExtensions.MaxMemoryKey}='{value}'", error.Message);
    }

    [Theory]
    [InlineData("Processes")]
    [InlineData("Containers")]
    public async Task Every_node_gets_the_full_session_lifetime_and_the_short_one_for_a_visitors_default_only_session(string runtime)
    {
        await using var builder = await TestStack.CreateBuilderAsync($"--OdooAspire:Runtime={runtime}");

        foreach (var node in new[] { ResourceNames.OdooNode(1), ResourceNames.OdooNode(2), ResourceNames.OdooNode(3) })
        {
            var resource = Resource(builder, node);
            var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), resource, []);
            foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
            {
                await callback.Callback(context);
            }

            Assert.Equal("604800", context.EnvironmentVariables[SessionStoreContract.LifetimeVariable]);
            Assert.Equal("3600", context.EnvironmentVariables[SessionStoreContract.AnonymousLifetimeVariable]);
        }
    }

    [Fact]
    public async Task A_secret_given_as_configuration_is_used_instead_of_a_generated_one()
    {
        const string given = "given-in-configuration-3f9a";
        await using var builder = await TestStack.CreateBuilderAsync("--OdooAspire:Runtime=Processes", $"--Parameters:{ResourceNames.RedisPassword}={given}");

        var redis = (IResourceWithConnectionString)Resource(builder, ResourceNames.Redis);
        Assert.Contains($"password={given}", redis.ConnectionStringExpression.ValueExpression.Replace("{" + ResourceNames.RedisPassword + ".value}", given));
        var parameter = (ParameterResource)Resource(builder, ResourceNames.RedisPassword);
        Assert.Equal(given, await parameter.GetValueAsync(default));
    }

    private static IResource Resource(IDistributedApplicationTestingBuilder builder, string name) =>
        builder.Resources.Single(r => r.Name == name);
}
