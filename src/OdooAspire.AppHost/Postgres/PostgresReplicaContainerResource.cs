namespace OdooAspire.AppHost.Postgres;

/// <summary>
/// A hot-standby replica in the official postgres image (the container runtime's pg-replica-K),
/// bootstrapped from the primary by the same script the process runtime runs.
/// </summary>
public sealed class PostgresReplicaContainerResource(string name, ParameterResource password)
    : ContainerResource(name), IPostgresServer
{
    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PostgresServer.EndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    public PostgresRole Role => PostgresRole.Replica;

    public ReferenceExpression ConnectionStringExpression => PostgresServer.ConnectionString(PrimaryEndpoint, PasswordParameter);
}
