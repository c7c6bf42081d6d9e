using OdooAspire.Odoo;
using OdooAspire.OdooStandIn.Sessions;

namespace OdooAspire.OdooStandIn;

/// <summary>What every route of the stand-in uses.</summary>
public sealed class StandInServices(OdooConf conf, StandInDatabase database, RedisSessionStore sessions, Users users, ILogger<StandInServices> logger)
{
    public OdooConf Conf { get; } = conf;

    public StandInDatabase Database { get; } = database;

    public RedisSessionStore Sessions { get; } = sessions;

    public Users Users { get; } = users;

    public ILogger Logger { get; } = logger;
}
