using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OdooAspire.AppHost.Runtime;

namespace OdooAspire.AppHost.Postgres;

/// <summary>pg-primary and its streaming replicas, in either runtime.</summary>
public static class PostgresBuilderExtensions
{
    public const string ReplicasKey = "OdooAspire:PostgresReplicas";
    public const string BinDirectoryKey = "OdooAspire:PostgresBinDirectory";
    private const int DefaultReplicas = 2;
    private const string ContainerScriptsPath = "/odooaspire/postgres";
    private const string ContainerReplicaData = "/var/lib/postgresql/data";

    /// <summary>
    /// Adds the PostgreSQL primary <paramref name="name"/>, configured for streaming replication, and
    /// <c>OdooAspire:PostgresReplicas</c> (default 2) hot standbys pg-replica-1 … pg-replica-M, each
    /// bootstrapped with pg_basebackup -R from its own replication slot.
    /// </summary>
    public static PostgresTopology AddPostgresWithReplicas(this IDistributedApplicationBuilder builder, string name, RuntimeChoice runtime)
    {
        var replicaCount = builder.Configuration.GetValue(ReplicasKey, DefaultReplicas);
        if (replicaCount < 0)
        {
            throw new MissingPrerequisiteException($"{ReplicasKey}={replicaCount}: the number of replicas cannot be negative");
        }

        var password = builder.AddSecret(ResourceNames.PostgresPassword);
        var replicationPassword = builder.AddSecret(ResourceNames.PostgresReplicationPassword);
        var slots = string.Join(' ', Enumerable.Range(1, replicaCount).Select(ResourceNames.ReplicationSlot));

        return runtime.IsContainers
            ? AddContainers(builder, name, replicaCount, password, replicationPassword, slots)
            : AddProcesses(builder, name, replicaCount, password, replicationPassword, slots);
    }

    private static PostgresTopology AddProcesses(
        IDistributedApplicationBuilder builder, string name, int replicaCount,
        IResourceBuilder<ParameterResource> password, IResourceBuilder<ParameterResource> replicationPassword, string slots)
    {
        var binDirectory = FindBinDirectory(builder);
        var runDirectory = builder.RunDirectory();
        var script = builder.ScriptPath("postgres", "postgres.sh");

        IResourceBuilder<PostgresProcessResource> AddServer(string serverName, PostgresRole role) =>
            builder.AddResource(new PostgresProcessResource(serverName, "/bin/bash", runDirectory, password.Resource, role))
                .WithArgs(script, role.ToString().ToLowerInvariant())
                .WithEndpoint(name: PostgresServer.EndpointName, scheme: "tcp", env: "PGPORT", isProxied: false)
                .WithEnvironment("PGBIN", binDirectory)
                .WithEnvironment("PGDATA", Path.Combine(runDirectory, serverName))
                .WithEnvironment("REPLICATION_PASSWORD", replicationPassword)
                .WithIconName("Database")
                .WithPostgresHealthCheck(role);

        var primary = AddServer(name, PostgresRole.Primary)
            .WithEnvironment("POSTGRES_PASSWORD", password)
            .WithEnvironment("REPLICA_SLOTS", slots);

        var replicas = Enumerable.Range(1, replicaCount).Select(ordinal =>
        {
            var replica = AddServer(ResourceNames.PostgresReplica(ordinal), PostgresRole.Replica)
                .WithEnvironment("PRIMARY_HOST", primary.Resource.PrimaryEndpoint.Property(EndpointProperty.Host))
                .WithEnvironment("PRIMARY_PORT", primary.Resource.PrimaryEndpoint.Property(EndpointProperty.Port))
                .WithEnvironment("REPLICATION_SLOT", ResourceNames.ReplicationSlot(ordinal))
                .WithEnvironment("REPLICA_NAME", ResourceNames.PostgresReplica(ordinal))
                .WithReferenceRelationship(primary.Resource)
                .WaitFor(primary);
            return Ref(replica);
        }).ToList();

        return new(Ref(primary), replicas);
    }

    private static PostgresTopology AddContainers(
        IDistributedApplicationBuilder builder, string name, int replicaCount,
        IResourceBuilder<ParameterResource> password, IResourceBuilder<ParameterResource> replicationPassword, string slots)
    {
        var primary = builder.AddPostgres(name, password: password)
            .WithDataVolume()
            .WithEnvironment("REPLICATION_PASSWORD", replicationPassword)
            .WithEnvironment("REPLICA_SLOTS", slots);

        // Primary and replicas run one image: the official one (its tag pinned by Aspire.Hosting.PostgreSQL)
        // plus the replication scripts, built from scripts/postgres so deployments need no bind mount;
        // pg_basebackup and streaming need the same major version anyway.
        var official = primary.Resource.Annotations.OfType<ContainerImageAnnotation>().Single();
        var officialImage = $"{official.Registry}/{official.Image}:{official.Tag}";
        var context = builder.ScriptPath("postgres");
        primary.WithDockerfile(context).WithBuildArg("POSTGRES_IMAGE", officialImage);

        var replicas = Enumerable.Range(1, replicaCount).Select(ordinal =>
        {
            var replicaName = ResourceNames.PostgresReplica(ordinal);
            var replica = builder.AddResource(new PostgresReplicaContainerResource(replicaName, password.Resource));
            replica
                .WithImage(official.Image, official.Tag)
                .WithDockerfile(context)
                .WithBuildArg("POSTGRES_IMAGE", officialImage)
                .WithEndpoint(name: PostgresServer.EndpointName, scheme: "tcp", targetPort: PostgresServer.ContainerPort, env: "PGPORT")
                .WithVolume(VolumeNameGenerator.Generate(replica, "data"), ContainerReplicaData)
                .WithEntrypoint("/bin/bash")
                .WithArgs($"{ContainerScriptsPath}/postgres.sh", "replica")
                .WithEnvironment("PGDATA", ContainerReplicaData)
                .WithEnvironment("PGLISTEN", "*")
                .WithEnvironment("PRIMARY_HOST", primary.Resource.PrimaryEndpoint.Property(EndpointProperty.Host))
                .WithEnvironment("PRIMARY_PORT", primary.Resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort))
                .WithEnvironment("REPLICATION_PASSWORD", replicationPassword)
                .WithEnvironment("REPLICATION_SLOT", ResourceNames.ReplicationSlot(ordinal))
                .WithEnvironment("REPLICA_NAME", replicaName)
                .WithPostgresHealthCheck(PostgresRole.Replica)
                .WithReferenceRelationship(primary.Resource)
                .WaitFor(primary);
            return Ref(replica);
        }).ToList();

        return new(new PostgresServerRef(primary, primary.Resource.PrimaryEndpoint, password.Resource), replicas);
    }

    private static PostgresServerRef Ref<T>(IResourceBuilder<T> server) where T : IPostgresServer =>
        new(server.ApplicationBuilder.CreateResourceBuilder<IResourceWithConnectionString>(server.Resource), server.Resource.PrimaryEndpoint, server.Resource.PasswordParameter);

    private static IResourceBuilder<T> WithPostgresHealthCheck<T>(this IResourceBuilder<T> server, PostgresRole role) where T : IPostgresServer
    {
        var key = $"{server.Resource.Name}_check";
        server.ApplicationBuilder.Services.AddHealthChecks()
            .Add(new HealthCheckRegistration(key, _ => new PostgresHealthCheck(server.Resource, role), failureStatus: null, tags: null));
        return server.WithHealthCheck(key);
    }

    /// <summary>
    /// The folder with Debian's PostgreSQL server binaries: <c>OdooAspire:PostgresBinDirectory</c> when set,
    /// otherwise PATH, then /usr/lib/postgresql/&lt;newest&gt;/bin (Debian keeps them off PATH).
    /// </summary>
    private static string FindBinDirectory(IDistributedApplicationBuilder builder)
    {
        IEnumerable<string> candidates;
        string where;
        if (builder.Configuration[BinDirectoryKey] is { Length: > 0 } configured)
        {
            candidates = [configured];
            where = $"in {configured} ({BinDirectoryKey})";
        }
        else
        {
            candidates = Executables.PathDirectories().Concat(DebianVersionedBinDirectories());
            where = "on PATH or in /usr/lib/postgresql/*/bin";
        }

        var postgres = Executables.FindIn(candidates, "postgres")
            ?? throw new MissingPrerequisiteException($"postgres binary not found {where}: apt-get install postgresql");
        var directory = Path.GetDirectoryName(Path.GetFullPath(new FileInfo(postgres).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? postgres))!;
        foreach (var tool in new[] { "initdb", "pg_basebackup" })
        {
            if (Executables.FindIn([directory], tool) is null)
            {
                throw new MissingPrerequisiteException($"{tool} not found next to {postgres}: apt-get install postgresql");
            }
        }

        return directory;
    }

    private static IEnumerable<string> DebianVersionedBinDirectories()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return [];
        }

        return Directory.EnumerateDirectories(root)
            .Select(directory => (Directory: directory, Version: int.TryParse(Path.GetFileName(directory), out var v) ? v : -1))
            .Where(candidate => candidate.Version > 0)
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => Path.Combine(candidate.Directory, "bin"));
    }
}
