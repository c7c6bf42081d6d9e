using Microsoft.Extensions.DependencyInjection;
using OdooAspire.AppHost.Odoo;
using OdooAspire.Odoo;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Odoo;

/// <summary>The odoo.conf a process node was started with: the file in the run folder, one test per setting.</summary>
[Collection(OdooStackCollection.Name)]
public sealed class ProcessOdooConfTests(OdooStackFixture stack)
{
    private OdooConf Conf(string node) => OdooConf.Parse(File.ReadAllText(ConfPath(node)));

    private string ConfPath(string node) =>
        stack.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Single(r => r.Name == node).Annotations.OfType<OdooConfAnnotation>().Single().Path;

    private async Task<string> ParameterAsync(string name) =>
        (await stack.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ParameterResource>().Single(p => p.Name == name).GetValueAsync(CancellationToken.None))!;

    [Fact]
    public void Db_host_and_db_port_are_the_primary()
    {
        var primary = stack.App.GetEndpoint(ResourceNames.PostgresPrimary, "tcp");
        Assert.All(OdooStackFixture.Nodes.Select(Conf), conf => Assert.Equal((primary.Host, primary.Port), (conf.DbHost, conf.DbPort)));
    }

    [Fact]
    public async Task Db_user_is_the_odoo_role_with_the_odoo_db_password_parameter_never_the_superuser()
    {
        var password = await ParameterAsync(ResourceNames.OdooDbPassword);
        Assert.All(OdooStackFixture.Nodes.Select(Conf), conf =>
        {
            Assert.Equal("odoo", conf.DbUser);
            Assert.Equal(password, conf.DbPassword);
        });
    }

    [Fact]
    public void Db_replica_host_and_db_replica_port_are_set_explicitly_to_the_replica_path()
    {
        // The replica router when the model has one, otherwise the first replica.
        var router = stack.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ProjectResource>().SingleOrDefault(r => r.Name == ResourceNames.ReplicaRouter);
        var replica = router is null
            ? stack.App.GetEndpoint(ResourceNames.PostgresReplica(1), "tcp")
            : stack.App.GetEndpoint(router.Name, router.Annotations.OfType<EndpointAnnotation>().Single(e => e.UriScheme == "tcp").Name);
        Assert.All(OdooStackFixture.Nodes.Select(Conf), conf => Assert.Equal((replica.Host, replica.Port), (conf.DbReplicaHost, conf.DbReplicaPort)));
        Assert.Contains("db_replica_port = ", File.ReadAllText(ConfPath(OdooStackFixture.Nodes[0])));
    }

    [Fact]
    public void Proxy_mode_is_on_list_db_off_and_demo_data_never_loaded()
    {
        var text = File.ReadAllText(ConfPath(OdooStackFixture.Nodes[1]));
        Assert.Contains("proxy_mode = True\n", text);
        Assert.Contains("list_db = False\n", text);
        Assert.Contains("without_demo = all\n", text);
    }

    [Fact]
    public void Http_port_and_gevent_port_are_the_nodes_own_endpoints_on_loopback()
    {
        foreach (var node in OdooStackFixture.Nodes)
        {
            var conf = Conf(node);
            Assert.Equal(stack.App.GetEndpoint(node, OdooCluster.HttpEndpointName).Port, conf.HttpPort);
            Assert.Equal(stack.App.GetEndpoint(node, OdooCluster.GeventEndpointName).Port, conf.GeventPort);
            Assert.Equal("127.0.0.1", conf.HttpInterface);
        }
    }

    [Fact]
    public void Workers_default_to_two_so_the_gevent_port_serves_websockets()
    {
        Assert.All(OdooStackFixture.Nodes.Select(Conf), conf => Assert.Equal(2, conf.Workers));
    }

    [Fact]
    public void Max_cron_threads_defaults_to_one_on_every_node()
    {
        Assert.All(OdooStackFixture.Nodes.Select(Conf), conf => Assert.Equal(1, conf.MaxCronThreads));
    }

    [Fact]
    public void Every_node_shares_one_data_dir()
    {
        var dataDirs = OdooStackFixture.Nodes.Select(node => Conf(node).DataDir).Distinct().ToList();
        Assert.Single(dataDirs);
        Assert.True(Directory.Exists(dataDirs[0]));
    }

    [Fact]
    public void Db_name_and_an_anchored_dbfilter_name_the_configured_database()
    {
        var conf = Conf(OdooStackFixture.Nodes[2]);
        Assert.Equal(OdooStackFixture.Database, conf.Database);
        Assert.Contains($"dbfilter = ^{OdooStackFixture.Database}$\n", File.ReadAllText(ConfPath(OdooStackFixture.Nodes[2])));
    }

    [Fact]
    public async Task Admin_passwd_is_the_odoo_master_password_parameter()
    {
        var master = await ParameterAsync(ResourceNames.OdooMasterPassword);
        Assert.All(OdooStackFixture.Nodes.Select(Conf), conf => Assert.Equal(master, conf.AdminPasswd));
    }

    [Fact]
    public void Server_wide_modules_load_the_session_addon()
    {
        Assert.All(OdooStackFixture.Nodes.Select(Conf), conf => Assert.Equal(["base", "web", "odooaspire_session_redis"], conf.ServerWideModules));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_conf_is_readable_by_its_owner_only()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ConfPath(OdooStackFixture.Nodes[0])));
    }
}
