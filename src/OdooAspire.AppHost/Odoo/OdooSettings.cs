using Microsoft.Extensions.Configuration;
using OdooAspire.AppHost.Runtime;



namespace OdooAspire.AppHost.Odoo;

/// <summary>The cluster's configuration surface (ARCHITECTURE.md): node count, image, source tree, workers, database.</summary>
public sealed record OdooSettings(int Nodes, string Image, string? SourcePath, int Workers, int CronThreads, string Database)
{
    public const string NodesKey = "OdooAspire:OdooNodes";
    public const string ImageKey = "Odoo:Image";
    public const string SourcePathKey = "Odoo:SourcePath";
    public const string WorkersKey = "Odoo:Workers";
    public const string CronThreadsKey = "Odoo:CronThreads";
    public const string DatabaseKey = "Odoo:Database";

    /// <summary>Odoo refuses the postgres superuser: the nodes connect as this role, created by odoo-init.</summary>
    public const string DbUser = "odoo";

    /// <summary>The session addon shipped with the AppHost (odoo-node/addons).</summary>
    public const string SessionAddon = "odooaspire_session_redis";

    public static readonly IReadOnlyList<string> ServerWideModules = ["base", "web", SessionAddon];

    public static OdooSettings From(IConfiguration configuration)
    {
        var settings = new OdooSettings(
            configuration.GetValue(NodesKey, 3),
            configuration[ImageKey] is { Length: > 0 } image ? image : "odoo:18.0",
            configuration[SourcePathKey] is { Length: > 0 } source ? source : null,
            // workers > 0: Odoo then serves /websocket from its gevent process, as the gateway expects.
            configuration.GetValue(WorkersKey, 2),
            configuration.GetValue(CronThreadsKey, 1),
            configuration[DatabaseKey] is { Length: > 0 } database ? database : "odoo");

        if (settings.Nodes < 1)
        {
            throw new MissingPrerequisiteException($"{NodesKey}={settings.Nodes}: the cluster needs at least one Odoo node");
        }

        if (settings.Workers < 1)
        {
            throw new MissingPrerequisiteException($"{WorkersKey}={settings.Workers}: use 1 or more, so /websocket is served on the gevent port");
        }

        if (settings.CronThreads < 0)
        {
            throw new MissingPrerequisiteException($"{CronThreadsKey}={settings.CronThreads}: use 0 or more cron threads");
        }

        if (!System.Text.RegularExpressions.Regex.IsMatch(settings.Database, "^[a-z][a-z0-9_]*$"))
        {
            throw new MissingPrerequisiteException($"{DatabaseKey}='{settings.Database}': use lower-case letters, digits and '_', starting with a letter");
        }

        return settings;
    }
}
