namespace OdooAspire.AppHost.Postgres;

/// <summary>
/// A PostgreSQL server run from Debian's binaries as a local process (the process runtime's pg-primary
/// and pg-replica-K). Shaped like Aspire's own PostgresServerResource so it composes with WithReference.
/// </summary>
public sealed class PostgresProcessResource(string name, string command, string workingDirectory, ParameterResource password, PostgresRole role)
    : ExecutableResource(name, command, workingDirectory), IPostgresServer
{
    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PostgresServer.EndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    public PostgresRole Role { get; } = role;

    public ReferenceExpression ConnectionStringExpression => PostgresServer.ConnectionString(PrimaryEndpoint, PasswordParameter);
}
