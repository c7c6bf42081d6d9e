using System.Net;
using System.Text;
using OdooAspire.Gateway.Security;

namespace OdooAspire.Tests.Gateway;

/// <summary>Odoo's database manager (create, drop, backup, restore) is not reachable through the gateway unless enabled.</summary>
public sealed class DatabaseManagerLockoutTests
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("/web/database/manager")]
    [InlineData("/web/database/drop")]
    [InlineData("/WEB/DATABASE/backup")]
    [InlineData("/xmlrpc/2/db")]
    [InlineData("/xmlrpc/db")]
    public async Task Database_manager_routes_are_refused_with_403_and_never_reach_a_node(string path)
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 1);

        using var response = await gateway.Client.PostAsync(path, Json("""{"params":{"name":"prod"}}"""));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(DatabaseManagerLockout.Message, await response.Content.ReadAsStringAsync());
        Assert.Empty(gateway.Nodes[0].Received);
    }

    [Fact]
    public async Task The_db_service_of_the_json_rpc_api_is_refused_but_the_object_service_is_not()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 1);

        using var drop = await gateway.Client.PostAsync("/jsonrpc", Json("""{"jsonrpc":"2.0","method":"call","params":{"service":"db","method":"drop","args":["master","prod"]}}"""));
        using var read = await gateway.Client.PostAsync("/jsonrpc", Json("""{"jsonrpc":"2.0","method":"call","params":{"service":"object","method":"execute_kw","args":[]}}"""));

        Assert.Equal(HttpStatusCode.Forbidden, drop.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Single(gateway.Nodes[0].Received);
    }

    [Fact]
    public async Task Database_manager_routes_are_forwarded_when_explicitly_enabled()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 1, settings: new Dictionary<string, string?> { ["DatabaseManager"] = "true" });

        using var response = await gateway.Client.GetAsync("/web/database/manager");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, gateway.Nodes[0].Count("/web/database/manager"));
    }
}
