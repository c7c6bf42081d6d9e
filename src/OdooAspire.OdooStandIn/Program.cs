using System.Net;
using OdooAspire;
using OdooAspire.Odoo;
using OdooAspire.OdooStandIn;
using OdooAspire.OdooStandIn.Assets;
using OdooAspire.OdooStandIn.Bus;
using OdooAspire.OdooStandIn.Controllers;
using OdooAspire.OdooStandIn.JsonRpc;
using OdooAspire.OdooStandIn.Sessions;

// The Odoo stand-in: a small, honest substitute for an Odoo 18 node where no Odoo is installed.
// Usage: OdooAspire.OdooStandIn [init] --config=<odoo.conf>   (odoo-bin's own spelling of the option)
var initialise = args.Length > 0 && args[0] == OdooInitContract.StandInInitArgument;
if (args.FirstOrDefault(a => a.StartsWith(OdooInitContract.ConfigOption, StringComparison.Ordinal)) is not { } configArgument)
{
    Console.Error.WriteLine($"Odoo stand-in: no odoo.conf given: run it as 'OdooAspire.OdooStandIn [init] {OdooInitContract.ConfigOption}<odoo.conf>' (the AppHost does)");
    return 2;
}

var conf = OdooConf.Parse(await File.ReadAllTextAsync(configArgument[OdooInitContract.ConfigOption.Length..]));
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();

if (initialise)
{
    using var host = builder.Build();
    var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OdooAspire.OdooStandIn");
    var superuser = builder.Configuration.GetConnectionString(ResourceNames.PostgresPrimary)
        ?? throw new InvalidOperationException($"ConnectionStrings:{ResourceNames.PostgresPrimary} is not set: odoo-init needs the primary's superuser connection");
    var adminPassword = builder.Configuration[OdooInitContract.AdminPasswordVariable]
        ?? throw new InvalidOperationException($"{OdooInitContract.AdminPasswordVariable} is not set: the AppHost passes the odoo-admin-password parameter");
    await StandInInitialiser.RunAsync(conf, superuser, adminPassword, logger, CancellationToken.None);
    return 0;
}

if (conf.HttpPort is not { } httpPort || conf.GeventPort is not { } geventPort)
{
    Console.Error.WriteLine("Odoo stand-in: odoo.conf has no http_port or gevent_port: a node needs both");
    return 2;
}

var address = IPAddress.Parse(conf.HttpInterface ?? "127.0.0.1");
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(address, httpPort);
    kestrel.Listen(address, geventPort);
});
Directory.CreateDirectory(conf.DataDir);
builder.Services.AddSingleton(conf);
builder.Services.AddSingleton<StandInDatabase>();
builder.Services.AddSingleton<RedisSessionStore>();
builder.Services.AddSingleton<Users>();
builder.Services.AddSingleton<Partners>();
builder.Services.AddSingleton<StandInServices>();
builder.Services.AddSingleton<BusHub>();
builder.Services.AddHostedService(services => services.GetRequiredService<BusHub>());
builder.Services.AddSingleton<Presence>();
builder.Services.AddSingleton<AssetCatalog>();

var app = builder.Build();
app.Logger.LogInformation(
    "Odoo stand-in (not Odoo) serving database {Database} on http {Http} and gevent {Gevent}; primary {DbHost}:{DbPort}, replica path {ReplicaHost}:{ReplicaPort}",
    conf.Database, httpPort, geventPort, conf.DbHost, conf.DbPort, conf.DbReplicaHost, conf.DbReplicaPort);

app.UseOdooProxyMode();
app.UseSessionStoreGuard();
app.UseWebSockets();
app.MapDefaultEndpoints();
app.MapHealthRoutes();
app.MapSessionRoutes();
app.MapDatasetRoutes();
app.MapLoginRoutes();
app.MapAssetRoutes();
app.MapStandInDiagnosticsRoutes();
app.MapWebsocketRoutes();
await app.RunAsync();
return 0;
