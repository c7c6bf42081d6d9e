namespace OdooAspire.AppHost.ReplicaRouter;

/// <summary>The replica router's endpoint names and the configuration keys the AppHost hands it.</summary>
public static class ReplicaRouterEndpoints
{
    /// <summary>Status and health over HTTP: /health, /status (JSON).</summary>
    public const string Http = "http";

    /// <summary>The PostgreSQL endpoint Odoo's read-only pool connects to (db_replica_host / db_replica_port).</summary>
    public const string Postgres = "postgres";

    /// <summary>The router's configuration section; the AppHost's own <c>ReplicaRouter:*</c> settings are passed through.</summary>
    public const string ConfigurationSection = "ReplicaRouter";
}
