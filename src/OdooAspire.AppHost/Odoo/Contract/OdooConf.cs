using System.Globalization;
using System.Text;

namespace OdooAspire.Odoo;

/// <summary>
/// One Odoo node's odoo.conf: the settings the AppHost decides, rendered in Odoo's own format. The same
/// renderer serves real Odoo (processes and containers) and the stand-in, which parses the file it is given.
/// </summary>
public sealed record OdooConf
{
    public const string Section = "options";

    public required string DbHost { get; init; }
    public required int DbPort { get; init; }
    public required string DbUser { get; init; }
    public required string DbPassword { get; init; }
    public required string DbReplicaHost { get; init; }
    public required int DbReplicaPort { get; init; }
    public required string Database { get; init; }
    public required string DataDir { get; init; }
    public required string AdminPasswd { get; init; }
    public required int Workers { get; init; }
    public required int MaxCronThreads { get; init; }
    public required IReadOnlyList<string> ServerWideModules { get; init; }
    public IReadOnlyList<string> AddonsPath { get; init; } = [];

    /// <summary>Null lets Odoo listen on every interface (inside a container); processes bind loopback only.</summary>
    public string? HttpInterface { get; init; }

    /// <summary>Null for the one-shot initialisation run, which serves nothing.</summary>
    public int? HttpPort { get; init; }

    public int? GeventPort { get; init; }

    /// <summary>The conf file's text: <c>[options]</c> and one <c>key = value</c> line per setting.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        text.Append('[').Append(Section).Append("]\n");
        foreach (var (key, value) in Settings())
        {
            text.Append(key).Append(" = ").Append(value).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The settings in the order they are rendered.</summary>
    public IEnumerable<(string Key, string Value)> Settings()
    {
        yield return (Keys.DbHost, DbHost);
        yield return (Keys.DbPort, Number(DbPort));
        yield return (Keys.DbUser, DbUser);
        yield return (Keys.DbPassword, DbPassword);
        yield return (Keys.DbReplicaHost, DbReplicaHost);
        yield return (Keys.DbReplicaPort, Number(DbReplicaPort));
        yield return (Keys.DbName, Database);
        // Anchored: a database whose name merely contains this one must not be served.
        yield return (Keys.DbFilter, $"^{Database}$");
        yield return (Keys.ListDb, "False");
        yield return (Keys.ProxyMode, "True");
        yield return (Keys.WithoutDemo, "all");
        yield return (Keys.DataDir, DataDir);
        yield return (Keys.AdminPasswd, AdminPasswd);
        yield return (Keys.Workers, Number(Workers));
        yield return (Keys.MaxCronThreads, Number(MaxCronThreads));
        yield return (Keys.ServerWideModules, string.Join(',', ServerWideModules));
        if (AddonsPath.Count > 0)
        {
            yield return (Keys.AddonsPath, string.Join(',', AddonsPath));
        }

        if (HttpInterface is not null)
        {
            yield return (Keys.HttpInterface, HttpInterface);
        }

        if (HttpPort is { } http)
        {
            yield return (Keys.HttpPort, Number(http));
        }

        if (GeventPort is { } gevent)
        {
            yield return (Keys.GeventPort, Number(gevent));
        }
    }

    /// <summary>Reads a file <see cref="Render"/> wrote; a missing required key names itself.</summary>
    public static OdooConf Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('[') || line.StartsWith(';') || line.StartsWith('#'))
            {
                continue;
            }

            var separator = line.IndexOf('=');
            if (separator > 0)
            {
                values[line[..separator].Trim()] = line[(separator + 1)..].Trim();
            }
        }

        string Required(string key) =>
            values.TryGetValue(key, out var value) ? value : throw new FormatException($"odoo.conf has no '{key}' setting");
        int? OptionalNumber(string key) =>
            values.TryGetValue(key, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : null;
        IReadOnlyList<string> List(string key) =>
            values.TryGetValue(key, out var value) ? value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];

        return new OdooConf
        {
            DbHost = Required(Keys.DbHost),
            DbPort = int.Parse(Required(Keys.DbPort), CultureInfo.InvariantCulture),
            DbUser = Required(Keys.DbUser),
            DbPassword = Required(Keys.DbPassword),
            DbReplicaHost = Required(Keys.DbReplicaHost),
            DbReplicaPort = int.Parse(Required(Keys.DbReplicaPort), CultureInfo.InvariantCulture),
            Database = Required(Keys.DbName),
            DataDir = Required(Keys.DataDir),
            AdminPasswd = Required(Keys.AdminPasswd),
            Workers = int.Parse(Required(Keys.Workers), CultureInfo.InvariantCulture),
            MaxCronThreads = int.Parse(Required(Keys.MaxCronThreads), CultureInfo.InvariantCulture),
            ServerWideModules = List(Keys.ServerWideModules),
            AddonsPath = List(Keys.AddonsPath),
            HttpInterface = values.GetValueOrDefault(Keys.HttpInterface),
            HttpPort = OptionalNumber(Keys.HttpPort),
            GeventPort = OptionalNumber(Keys.GeventPort),
        };
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Odoo 18's option names (odoo/tools/config.py).</summary>
    public static class Keys
    {
        public const string DbHost = "db_host";
        public const string DbPort = "db_port";
        public const string DbUser = "db_user";
        public const string DbPassword = "db_password";
        public const string DbReplicaHost = "db_replica_host";
        public const string DbReplicaPort = "db_replica_port";
        public const string DbName = "db_name";
        public const string DbFilter = "dbfilter";
        public const string ListDb = "list_db";
        public const string ProxyMode = "proxy_mode";
        public const string WithoutDemo = "without_demo";
        public const string DataDir = "data_dir";
        public const string AdminPasswd = "admin_passwd";
        public const string Workers = "workers";
        public const string MaxCronThreads = "max_cron_threads";
        public const string ServerWideModules = "server_wide_modules";
        public const string AddonsPath = "addons_path";
        public const string HttpInterface = "http_interface";
        public const string HttpPort = "http_port";
        public const string GeventPort = "gevent_port";
    }
}
