namespace OdooAspire.AppHost.Postgres;

/// <summary>Primary or hot-standby replica.</summary>
public enum PostgresRole
{
    Primary,
    Replica,
}

/// <summary>What every PostgreSQL server of the stack offers its consumers, whichever runtime runs it.</summary>
public interface IPostgresServer : IResourceWithConnectionString
{
    EndpointReference PrimaryEndpoint { get; }

    ParameterResource PasswordParameter { get; }

    PostgresRole Role { get; }
}

/// <summary>
/// One server of the topology as its consumers (the replica router, Odoo's configuration) need it:
/// the resource to reference and wait for, its endpoint, and the superuser password.
/// </summary>
public sealed record PostgresServerRef(
    IResourceBuilder<IResourceWithConnectionString> Resource,
    EndpointReference Endpoint,
    ParameterResource Password)
{
    public string Name => Resource.Resource.Name;
}

/// <summary>The primary and its streaming replicas.</summary>
public sealed record PostgresTopology(PostgresServerRef Primary, IReadOnlyList<PostgresServerRef> Replicas);

/// <summary>Names and formats shared by the PostgreSQL resources.</summary>
public static class PostgresServer
{
    public const string EndpointName = "tcp";
    public const string SuperUser = "postgres";
    public const string ReplicationUser = "replicator";
    public const int ContainerPort = 5432;

    /// <summary>The Npgsql connection string, in the format of Aspire's own PostgreSQL resource.</summary>
    public static ReferenceExpression ConnectionString(EndpointReference endpoint, ParameterResource password) =>
        ReferenceExpression.Create(
            $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={SuperUser};Password={password}");
}
