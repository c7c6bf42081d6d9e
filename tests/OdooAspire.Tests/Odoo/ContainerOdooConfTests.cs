using OdooAspire.AppHost.Odoo;
using OdooAspire.Odoo;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Odoo;

/// <summary>
/// The odoo.conf a container node gets, rendered from the model as the node sees its peers on the container
/// network. No container engine runs here: the model is built, not started.
/// </summary>
public sealed class ContainerOdooConfTests : IAsyncLifetime
{
    private const string ContainerHostAlias = "host.docker.internal";

    private IDistributedApplicationTestingBuilder _builder = null!;

    public async Task InitializeAsync()
    {
        _builder = await TestStack.CreateBuilderAsync(
            "--OdooAspire:Runtime=Containers", "--Odoo:Workers=4", "--Odoo:CronThreads=3", "--Odoo:Database=erp",
            "--Parameters:odoo-db-password=dbsecret", "--Parameters:odoo-master-password=mastersecret", "--Parameters:odoo-admin-password=adminsecret");

        // Projects run on the host in both runtimes: give their endpoints what a run would allocate, on the host
        // and as containers reach them.
        var port = 41000;
        foreach (var endpoint in _builder.Resources.OfType<ProjectResource>().SelectMany(p => p.Annotations.OfType<EndpointAnnotation>()))
        {
            endpoint.AllocatedEndpoint ??= new AllocatedEndpoint(endpoint, "localhost", port);
            endpoint.AllAllocatedEndpoints.AddOrUpdateAllocatedEndpoint(
                KnownNetworkIdentifiers.DefaultAspireContainerNetwork,
                new AllocatedEndpoint(endpoint, ContainerHostAlias, port, EndpointBindingMode.SingleAddress, null, KnownNetworkIdentifiers.DefaultAspireContainerNetwork));
            port++;
        }
    }

    public async Task DisposeAsync() => await _builder.DisposeAsync();

    private async Task<OdooConf> ConfAsync(string node)
    {
        var resource = _builder.Resources.Single(r => r.Name == node);
        var template = resource.Annotations.OfType<OdooConfAnnotation>().Single().Template;
        return await template.ResolveAsync(resource, _builder.ExecutionContext, CancellationToken.None);
    }

    [Fact]
    public async Task Db_host_and_db_port_are_the_primary_on_the_container_network()
    {
        var conf = await ConfAsync(ResourceNames.OdooNode(1));
        Assert.Equal((ResourceNames.PostgresPrimary, 5432), (conf.DbHost, conf.DbPort));
    }

    [Fact]
    public async Task Db_user_and_password_are_the_odoo_role_and_its_parameter()
    {
        var conf = await ConfAsync(ResourceNames.OdooNode(2));
        Assert.Equal(("odoo", "dbsecret"), (conf.DbUser, conf.DbPassword));
    }

    [Fact]
    public async Task Db_replica_host_and_db_replica_port_are_set_explicitly_to_the_replica_path()
    {
        var conf = await ConfAsync(ResourceNames.OdooNode(3));

        // The replica router on the host when the model has one, otherwise the first replica on the container network.
        var router = _builder.Resources.OfType<ProjectResource>().SingleOrDefault(r => r.Name == ResourceNames.ReplicaRouter);
        var expected = router is null
            ? (ResourceNames.PostgresReplica(1), 5432)
            : (ContainerHostAlias, router.Annotations.OfType<EndpointAnnotation>().Single(e => e.UriScheme == "tcp").AllocatedEndpoint!.Port);
        Assert.Equal(expected, (conf.DbReplicaHost, conf.DbReplicaPort));
    }

    [Fact]
    public async Task Http_port_and_gevent_port_are_odoos_container_ports_on_every_interface()
    {
        var conf = await ConfAsync(ResourceNames.OdooNode(1));
        Assert.Equal((8069, 8072), (conf.HttpPort, conf.GeventPort));
        Assert.Null(conf.HttpInterface);
    }

    [Fact]
    public async Task Workers_come_from_Odoo_Workers()
    {
        Assert.Equal(4, (await ConfAsync(ResourceNames.OdooNode(1))).Workers);
    }

    [Fact]
    public async Task Max_cron_threads_come_from_Odoo_CronThreads()
    {
        Assert.Equal(3, (await ConfAsync(ResourceNames.OdooNode(2))).MaxCronThreads);
    }

    [Fact]
    public async Task Data_dir_is_the_shared_filestore_volume_on_every_node()
    {
        foreach (var ordinal in new[] { 1, 2, 3 })
        {
            var node = _builder.Resources.OfType<ContainerResource>().Single(r => r.Name == ResourceNames.OdooNode(ordinal));
            Assert.Equal("/var/lib/odoo", (await ConfAsync(node.Name)).DataDir);
            var volume = node.Annotations.OfType<ContainerMountAnnotation>().Single(m => m.Target == "/var/lib/odoo");
            Assert.Equal(("odooaspire-filestore", ContainerMountType.Volume), (volume.Source, volume.Type));
        }
    }

    [Fact]
    public async Task Db_name_and_dbfilter_come_from_Odoo_Database()
    {
        var conf = await ConfAsync(ResourceNames.OdooNode(1));
        Assert.Equal("erp", conf.Database);
        Assert.Contains("dbfilter = ^erp$\n", conf.Render());
    }

    [Fact]
    public async Task Admin_passwd_is_the_odoo_master_password_parameter()
    {
        Assert.Equal("mastersecret", (await ConfAsync(ResourceNames.OdooNode(3))).AdminPasswd);
    }

    [Fact]
    public async Task Proxy_mode_is_on_list_db_off_and_demo_data_never_loaded()
    {
        var text = (await ConfAsync(ResourceNames.OdooNode(1))).Render();
        Assert.Contains("proxy_mode = True\n", text);
        Assert.Contains("list_db = False\n", text);
        Assert.Contains("without_demo = all\n", text);
    }

    [Fact]
    public async Task Server_wide_modules_load_the_session_addon_from_the_image()
    {
        var conf = await ConfAsync(ResourceNames.OdooNode(1));
        Assert.Contains("odooaspire_session_redis", conf.ServerWideModules);
        Assert.Equal(["/mnt/odooaspire-addons"], conf.AddonsPath);
    }

    [Fact]
    public void Nodes_and_odoo_init_are_built_from_the_node_Dockerfile_over_the_configured_image()
    {
        foreach (var name in new[] { ResourceNames.OdooInit, ResourceNames.OdooNode(1) })
        {
            var resource = _builder.Resources.OfType<ContainerResource>().Single(r => r.Name == name);
            var build = resource.Annotations.OfType<DockerfileBuildAnnotation>().Single();
            Assert.EndsWith("odoo-node", build.ContextPath);
            Assert.Equal("odoo:18.0", build.BuildArguments["ODOO_IMAGE"]);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_conf_is_mounted_read_only_at_etc_odoo_readable_by_the_containers_user_from_a_private_folder()
    {
        var node = _builder.Resources.OfType<ContainerResource>().Single(r => r.Name == ResourceNames.OdooNode(1));
        var mount = node.Annotations.OfType<ContainerMountAnnotation>().Single(m => m.Target == "/etc/odoo");
        Assert.True(mount.IsReadOnly);
        var path = node.Annotations.OfType<OdooConfAnnotation>().Single().Path;
        Assert.Equal(mount.Source, Path.GetDirectoryName(path));

        await OdooConfFiles.WriteAsync(path, await ConfAsync(node.Name), mountedIntoContainer: true, CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(mount.Source)!));
    }

    [Fact]
    public void Every_node_waits_for_odoo_init_to_complete()
    {
        foreach (var ordinal in new[] { 1, 2, 3 })
        {
            var node = _builder.Resources.Single(r => r.Name == ResourceNames.OdooNode(ordinal));
            Assert.Contains(node.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource.Name == ResourceNames.OdooInit && wait.WaitType == WaitType.WaitForCompletion);
        }
    }
}
