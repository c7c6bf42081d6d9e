namespace OdooAspire;

/// <summary>
/// The public names of the resource graph (ARCHITECTURE.md): the dashboard, the tests, the docs
/// and the deployment manifest all use these. The one place they are spelled.
/// </summary>
public static class ResourceNames
{
    public const string Gateway = "gateway";

    /// <summary>The optional nginx in front of the gateway (OdooAspire:Edge=nginx).</summary>
    public const string Edge = "edge";
    public const string ReplicaRouter = "replica-router";
    public const string PostgresPrimary = "pg-primary";
    public const string Redis = "redis";
    public const string Filestore = "filestore";
    public const string OdooInit = "odoo-init";

    /// <summary>The gateway's YARP cluster of every node's http endpoint.</summary>
    public const string GatewayHttpCluster = "odoo-http";

    /// <summary>The gateway's YARP cluster of every node's gevent (websocket) endpoint.</summary>
    public const string GatewayWebSocketCluster = "odoo-websocket";

    public const string PostgresPassword = "postgres-password";
    public const string PostgresReplicationPassword = "postgres-replication-password";
    public const string RedisPassword = "redis-password";
    public const string OdooAdminPassword = "odoo-admin-password";
    public const string OdooMasterPassword = "odoo-master-password";
    public const string OdooDbPassword = "odoo-db-password";

    /// <summary>The host names Odoo is served under (the gateway's allow-list); deployed, azd asks for them.</summary>
    public const string GatewayAllowedHosts = "gateway-allowed-hosts";

    /// <summary>pg-replica-1 … pg-replica-M (1-based, as the dashboard shows them).</summary>
    public static string PostgresReplica(int ordinal) => $"pg-replica-{ordinal}";

    /// <summary>odoo-1 … odoo-N.</summary>
    public static string OdooNode(int ordinal) => $"odoo-{ordinal}";

    /// <summary>The replication slot a replica streams from; slot names allow no dashes.</summary>
    public static string ReplicationSlot(int ordinal) => $"pg_replica_{ordinal}";
}
