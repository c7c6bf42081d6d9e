using Npgsql;
using OdooAspire.Odoo;

namespace OdooAspire.OdooStandIn;

/// <summary>
/// The stand-in's three connections, as Odoo opens them: read-write on the primary, read-only through
/// db_replica_host/db_replica_port, and the primary's <c>postgres</c> database for the bus's LISTEN/NOTIFY.
/// </summary>
public sealed class StandInDatabase : IAsyncDisposable
{
    public StandInDatabase(OdooConf conf)
    {
        Primary = Open(conf.DbHost, conf.DbPort, conf.Database, conf, readOnly: false);
        Replica = Open(conf.DbReplicaHost, conf.DbReplicaPort, conf.Database, conf, readOnly: true);
        BusConnectionString = ConnectionString(conf.DbHost, conf.DbPort, "postgres", conf, readOnly: false);
        Bus = NpgsqlDataSource.Create(BusConnectionString);
    }

    public NpgsqlDataSource Primary { get; }

    public NpgsqlDataSource Replica { get; }

    public NpgsqlDataSource Bus { get; }

    /// <summary>For the LISTEN connection, which lives outside the pool.</summary>
    public string BusConnectionString { get; }

    private static NpgsqlDataSource Open(string host, int port, string database, OdooConf conf, bool readOnly) =>
        NpgsqlDataSource.Create(ConnectionString(host, port, database, conf, readOnly));

    private static string ConnectionString(string host, int port, string database, OdooConf conf, bool readOnly) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = host,
            Port = port,
            Database = database,
            Username = conf.DbUser,
            Password = conf.DbPassword,
            Timeout = 5,
            CommandTimeout = 15,
            // Odoo sets its replica connections read-only at session level: a write there must fail, not land.
            Options = readOnly ? "-c default_transaction_read_only=on" : null,
            ApplicationName = "odoo-stand-in",
        }.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        await Primary.DisposeAsync();
        await Replica.DisposeAsync();
        await Bus.DisposeAsync();
    }
}
