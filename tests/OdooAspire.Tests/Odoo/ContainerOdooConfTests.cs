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

        ModelValues.AllocateProjectEndpointsForContainers(_builder, ContainerHostAlias, firstPort: 41000);
    }

    public async Task DisposeAsync() => await _builder.DisposeAsync();

    /// <summary>The conf the container writes at start: the expression in its environment, resolved as it sees its peers.</summary>
    private async Task<OdooConf> ConfAsync(string node)
    {
        var resource = _builder.Resources.Single(r => r.Name == node);
        var template = resource.Annotations.OfType<OdooConfAnnotation>().Single().Template;
        var context = new ValueProviderContext { Caller = resource, ExecutionContext = _builder.ExecutionContext };
        return OdooConf.Parse((await template.Expression().GetValueAsync(context, CancellationToken.None))!);
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
    public async Task The_conf_travels_in_the_environment_and_nothing_is_bind_mounted_so_the_model_deploys()
    {
        foreach (var name in new[] { ResourceNames.OdooInit, ResourceNames.OdooNode(1), ResourceNames.OdooNode(2), ResourceNames.OdooNode(3) })
        {
            var resource = _builder.Resources.OfType<ContainerResource>().Single(r => r.Name == name);
            Assert.DoesNotContain(resource.Annotations.OfType<ContainerMountAnnotation>(), m => m.Type == ContainerMountType.BindMount);

            var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), resource, []);
            foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
            {
                await callback.Callback(context);
            }

            var conf = Assert.IsType<ReferenceExpression>(context.EnvironmentVariables[OdooConfFiles.EnvironmentVariable]);
            Assert.Contains("db_replica_port = ", conf.ValueExpression);
            Assert.Equal("/etc/odooaspire/odoo.conf", context.EnvironmentVariables["ODOO_RC"]);
        }

        // The image's entrypoint writes that conf where Odoo reads it before running the node or init.sh.
        var entrypoint = await File.ReadAllTextAsync(Path.Combine(_builder.AppHostDirectory, "odoo-node", "entrypoint.sh"));
        Assert.Contains($"\"${OdooConfFiles.EnvironmentVariable}\" > \"$ODOO_RC\"", entrypoint);
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
