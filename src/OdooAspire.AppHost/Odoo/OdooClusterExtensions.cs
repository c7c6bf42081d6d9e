using OdooAspire.AppHost;
using OdooAspire.AppHost.Postgres;
using OdooAspire.AppHost.Redis;
using OdooAspire.AppHost.Runtime;

using OdooAspire.Odoo;

namespace OdooAspire.AppHost.Odoo;

/// <summary>The Odoo nodes behind the gateway: real Odoo 18 (container image or source tree) or the stand-in.</summary>
public static class OdooClusterExtensions
{
    private const string NodeFolder = "odoo-node";
    private const string ContainerConf = "/etc/odooaspire/odoo.conf";
    private const string ContainerDataDir = "/var/lib/odoo";
    private const string ContainerAddonsPath = "/mnt/odooaspire-addons";
    private const string ContainerInitScript = "/odooaspire/init.sh";
    private const string FilestoreVolume = "odooaspire-filestore";
    private const string PycachePrefixVariable = "PYTHONPYCACHEPREFIX";

    /// <summary>
    /// Adds <c>OdooAspire:OdooNodes</c> (default 3) nodes odoo-1 … odoo-N, each with an <c>http</c> and a
    /// <c>gevent</c> endpoint and a /web/health check, writing to <paramref name="postgres"/>'s primary, reading
    /// through <paramref name="replicaEndpoint"/>, keeping sessions in <paramref name="redis"/>; and odoo-init,
    /// which every node waits to complete, so the database is initialised exactly once.
    /// </summary>
    public static OdooCluster AddOdooCluster(
        this IDistributedApplicationBuilder builder,
        RuntimeChoice runtime,
        PostgresTopology postgres,
        IResourceBuilder<IResourceWithConnectionString> redis,
        EndpointReference replicaEndpoint)
    {
        var settings = OdooSettings.From(builder.Configuration);
        var secrets = new OdooSecrets(
            builder.AddSecret(ResourceNames.OdooAdminPassword),
            builder.AddSecret(ResourceNames.OdooMasterPassword),
            builder.AddSecret(ResourceNames.OdooDbPassword));
        var wiring = new Wiring(builder, settings, secrets, postgres, redis, replicaEndpoint);

        if (runtime.IsContainers)
        {
            return AddContainers(wiring);
        }

        return settings.SourcePath is { } source
            ? AddOdooProcesses(wiring, OdooSource.Locate(source, builder.ExecutionContext.IsRunMode))
            : AddStandIns(wiring);
    }

    private static OdooCluster AddStandIns(Wiring w)
    {
        var run = w.Builder.RunDirectory();
        var filestore = Path.Combine(run, ResourceNames.Filestore);
        var initConf = ConfPath(run, ResourceNames.OdooInit);
        var init = w.Builder.AddProject<Projects.OdooAspire_OdooStandIn>(ResourceNames.OdooInit)
            .WithArgs(OdooInitContract.StandInInitArgument, OdooInitContract.ConfigOption + initConf)
            .WithReference(w.Postgres.Primary.Resource)
            .WithEnvironment(OdooInitContract.AdminPasswordVariable, w.Secrets.Admin)
            .WithOdooConf(w.Template(filestore, []), initConf)
            .WithIconName("DatabaseArrowUp")
            .WaitFor(w.Postgres.Primary.Resource);

        var nodes = Enumerable.Range(1, w.Settings.Nodes).Select(ordinal =>
        {
            var name = ResourceNames.OdooNode(ordinal);
            var conf = ConfPath(run, name);
            var node = w.Builder.AddProject<Projects.OdooAspire_OdooStandIn>(name)
                .WithHttpEndpoint(name: OdooCluster.HttpEndpointName, isProxied: false)
                .WithHttpEndpoint(name: OdooCluster.GeventEndpointName, isProxied: false)
                .WithArgs(OdooInitContract.ConfigOption + conf)
                .WithIconName("BeakerEdit")
                // The dashboard must never present the stand-in as Odoo.
                .WithUrlForEndpoint(OdooCluster.HttpEndpointName, url => url.DisplayText = "Odoo stand-in (http)")
                .WithUrlForEndpoint(OdooCluster.GeventEndpointName, url => url.DisplayText = "Odoo stand-in (gevent)");
            return w.Node(node, conf, w.ProcessTemplate(node.Resource, filestore, []), init);
        }).ToList();

        return new(w.Builder.CreateResourceBuilder<IResource>(init.Resource), nodes);
    }

    private static OdooCluster AddOdooProcesses(Wiring w, OdooSource source)
    {
        var run = w.Builder.RunDirectory();
        var filestore = Path.Combine(run, ResourceNames.Filestore);
        string[] addonsPath = [.. source.AddonsPath, Path.Combine(w.Builder.AppHostDirectory, NodeFolder, "addons")];
        var runScript = Path.Combine(w.Builder.AppHostDirectory, NodeFolder, "run.sh");
        // The source tree may be shared and read-only (root ignores the missing write bits): bytecode goes to the run folder.
        var pycache = Path.Combine(run, "pycache");
        var initConf = ConfPath(run, ResourceNames.OdooInit);
        var init = w.Builder.AddExecutable(ResourceNames.OdooInit, "/bin/bash", source.Root)
            .WithArgs(Path.Combine(w.Builder.AppHostDirectory, NodeFolder, "init.sh"), OdooSource.Python, source.OdooBin)
            .WithInitEnvironment(w, initConf)
            .WithOdooConf(w.Template(filestore, addonsPath), initConf)
            .WithIconName("DatabaseArrowUp")
            .WithEnvironment(PycachePrefixVariable, pycache)
            .WaitFor(w.Postgres.Primary.Resource);

        var nodes = Enumerable.Range(1, w.Settings.Nodes).Select(ordinal =>
        {
            var name = ResourceNames.OdooNode(ordinal);
            var conf = ConfPath(run, name);
            var node = w.Builder.AddExecutable(name, "/bin/bash", source.Root, runScript, OdooSource.Python, source.OdooBin, OdooInitContract.ConfigOption + conf)
                .WithEnvironment(PycachePrefixVariable, pycache)
                .WithHttpEndpoint(name: OdooCluster.HttpEndpointName, isProxied: false)
                .WithHttpEndpoint(name: OdooCluster.GeventEndpointName, isProxied: false)
                .WithIconName("Server");
            return w.Node(node, conf, w.ProcessTemplate(node.Resource, filestore, addonsPath), init);
        }).ToList();

        return new(w.Builder.CreateResourceBuilder<IResource>(init.Resource), nodes);
    }

    private static OdooCluster AddContainers(Wiring w)
    {
        var context = Path.Combine(w.Builder.AppHostDirectory, NodeFolder);
        IResourceBuilder<ContainerResource> Image(string name) =>
            w.Builder.AddDockerfile(name, context)
                .WithBuildArg("ODOO_IMAGE", w.Settings.Image)
                .WithVolume(FilestoreVolume, ContainerDataDir);
        var template = w.ContainerTemplate(ContainerDataDir, [ContainerAddonsPath]);

        // The image's entrypoint writes the conf from the environment before running the command.
        var init = Image(ResourceNames.OdooInit)
            .WithArgs(ContainerInitScript, "odoo")
            .WithInitEnvironment(w, ContainerConf)
            .WithOdooConfInEnvironment(template, ContainerConf)
            .WaitFor(w.Postgres.Primary.Resource);

        var nodes = Enumerable.Range(1, w.Settings.Nodes).Select(ordinal =>
        {
            var name = ResourceNames.OdooNode(ordinal);
            var node = Image(name)
                .WithHttpEndpoint(name: OdooCluster.HttpEndpointName, targetPort: OdooCluster.ContainerHttpPort)
                .WithHttpEndpoint(name: OdooCluster.GeventEndpointName, targetPort: OdooCluster.ContainerGeventPort);
            var nodeTemplate = template with
            {
                HttpPort = ReferenceExpression.Create($"{OdooCluster.ContainerHttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}"),
                GeventPort = ReferenceExpression.Create($"{OdooCluster.ContainerGeventPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}"),
            };
            return w.Node(node, ContainerConf, nodeTemplate, init, confInEnvironment: true);
        }).ToList();

        return new(w.Builder.CreateResourceBuilder<IResource>(init.Resource), nodes);
    }

    private static string ConfPath(string run, string resource) => Path.Combine(run, resource, "odoo.conf");

    private static IResourceBuilder<T> WithInitEnvironment<T>(this IResourceBuilder<T> init, Wiring w, string confPath)
        where T : IResourceWithEnvironment
    {
        var primary = w.Postgres.Primary.Endpoint;
        return init
            .WithEnvironment("ODOO_CONF", confPath)
            .WithEnvironment("ODOO_DATABASE", w.Settings.Database)
            .WithEnvironment("ODOO_DB_USER", OdooSettings.DbUser)
            .WithEnvironment("ODOO_DB_PASSWORD", w.Secrets.Db)
            .WithEnvironment(OdooInitContract.AdminPasswordVariable, w.Secrets.Admin)
            .WithEnvironment("PGHOST", primary.Property(EndpointProperty.Host))
            .WithEnvironment("PGPORT", primary.Property(EndpointProperty.Port))
            .WithEnvironment("PGUSER", PostgresServer.SuperUser)
            .WithEnvironment("PGPASSWORD", w.Postgres.Primary.Password);
    }

    private sealed record OdooSecrets(
        IResourceBuilder<ParameterResource> Admin,
        IResourceBuilder<ParameterResource> Master,
        IResourceBuilder<ParameterResource> Db);

    /// <summary>What every node of a cluster is wired to, whatever runs it.</summary>
    private sealed record Wiring(
        IDistributedApplicationBuilder Builder,
        OdooSettings Settings,
        OdooSecrets Secrets,
        PostgresTopology Postgres,
        IResourceBuilder<IResourceWithConnectionString> Redis,
        EndpointReference ReplicaEndpoint)
    {
        /// <summary>The settings every node shares; database addresses as a local process reaches them.</summary>
        public OdooConfTemplate Template(string dataDir, IReadOnlyList<string> addonsPath) => new()
        {
            DbHost = ReferenceExpression.Create($"{Postgres.Primary.Endpoint.Property(EndpointProperty.Host)}"),
            DbPort = ReferenceExpression.Create($"{Postgres.Primary.Endpoint.Property(EndpointProperty.Port)}"),
            DbPassword = Secrets.Db.Resource,
            DbReplicaHost = ReferenceExpression.Create($"{ReplicaEndpoint.Property(EndpointProperty.Host)}"),
            DbReplicaPort = ReferenceExpression.Create($"{ReplicaEndpoint.Property(EndpointProperty.Port)}"),
            MasterPassword = Secrets.Master.Resource,
            Settings = Settings,
            DataDir = dataDir,
            AddonsPath = addonsPath,
        };

        /// <summary>
        /// The same settings as a container reaches its peers: another container by its resource name and container
        /// port on the shared network; anything else (a project on the host) as Aspire resolves it for the node.
        /// </summary>
        public OdooConfTemplate ContainerTemplate(string dataDir, IReadOnlyList<string> addonsPath)
        {
            var template = Template(dataDir, addonsPath);
            if (Postgres.Primary.Endpoint.Resource is ContainerResource)
            {
                template = template with { DbHost = ContainerHost(Postgres.Primary.Endpoint), DbPort = ContainerPort(Postgres.Primary.Endpoint) };
            }

            if (ReplicaEndpoint.Resource is ContainerResource)
            {
                template = template with { DbReplicaHost = ContainerHost(ReplicaEndpoint), DbReplicaPort = ContainerPort(ReplicaEndpoint) };
            }

            return template;
        }

        private static ReferenceExpression ContainerHost(EndpointReference endpoint) => ReferenceExpression.Create($"{endpoint.Resource.Name}");

        private static ReferenceExpression ContainerPort(EndpointReference endpoint)
        {
            var port = endpoint.EndpointAnnotation.TargetPort
                ?? throw new InvalidOperationException($"{endpoint.Resource.Name}'s {endpoint.EndpointName} endpoint has no container port");
            return ReferenceExpression.Create($"{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        /// <summary>A process listens on loopback only, on the ports Aspire allocated to its endpoints.</summary>
        public OdooConfTemplate ProcessTemplate(IResourceWithEndpoints node, string dataDir, IReadOnlyList<string> addonsPath) =>
            Template(dataDir, addonsPath) with
            {
                HttpInterface = "127.0.0.1",
                HttpPort = ReferenceExpression.Create($"{new EndpointReference(node, OdooCluster.HttpEndpointName).Property(EndpointProperty.Port)}"),
                GeventPort = ReferenceExpression.Create($"{new EndpointReference(node, OdooCluster.GeventEndpointName).Property(EndpointProperty.Port)}"),
            };

        /// <summary>Wires a node to the store, the database and odoo-init, and gives it its conf and health check.</summary>
        public OdooNode Node<T>(IResourceBuilder<T> node, string confPath, OdooConfTemplate template, IResourceBuilder<IResource> init, bool confInEnvironment = false)
            where T : IResourceWithEnvironment, IResourceWithEndpoints, IResourceWithWaitSupport
        {
            if (confInEnvironment)
            {
                node.WithOdooConfInEnvironment(template, confPath);
            }
            else
            {
                node.WithOdooConf(template, confPath);
            }

            node.WithEnvironment(SessionStoreContract.UrlVariable, RedisUrl(Redis.Resource))
                .WithEnvironment(SessionStoreContract.KeyPrefixVariable, SessionStoreContract.DefaultKeyPrefix)
                .WithEnvironment(SessionStoreContract.LifetimeVariable, SessionStoreContract.DefaultLifetimeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .WithEnvironment(SessionStoreContract.AnonymousLifetimeVariable, SessionStoreContract.DefaultAnonymousLifetimeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .WithHttpHealthCheck(OdooCluster.HealthPath, endpointName: OdooCluster.HttpEndpointName)
                .WithReferenceRelationship(Postgres.Primary.Resource.Resource)
                .WithReferenceRelationship(Redis.Resource)
                .WithReferenceRelationship(ReplicaEndpoint.Resource)
                // Started, not healthy: a node needs Redis per request (503 meanwhile), and a nearly full store is Degraded.
                .WaitForStart(Redis)
                // A node that opens its read-only pool before the replica endpoint listens falls back to the primary for 20 minutes.
                .WaitFor(Builder.CreateResourceBuilder<IResource>(ReplicaEndpoint.Resource))
                .WaitForCompletion(init);
            return new(Builder.CreateResourceBuilder<IResourceWithEndpoints>(node.Resource));
        }

        private static ReferenceExpression RedisUrl(IResourceWithConnectionString redis) => redis switch
        {
            RedisProcessResource process => Url(process.PrimaryEndpoint, process.PasswordParameter),
            RedisResource container when container.PasswordParameter is { } password => Url(container.PrimaryEndpoint, password),
            _ => throw new InvalidOperationException($"{redis.Name} is not a Redis resource with a password: the session store needs one"),
        };

        private static ReferenceExpression Url(EndpointReference endpoint, ParameterResource password) =>
            ReferenceExpression.Create($"redis://:{password}@{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)}/0");
    }
}
