using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace OdooAspire.Tests.Gateway;

/// <summary>/gateway/status lists every node of every cluster with its state, as HTML and as JSON.</summary>
public sealed class StatusPageTests
{
    [Fact]
    public async Task The_html_status_page_lists_every_node_of_both_clusters_with_its_state()
    {
        await using var gateway = await InProcessGateway.StartAsync();
        await gateway.Nodes[1].StopAsync();
        await gateway.WaitUntilAsync(n => n.State == "down", [gateway.Nodes[1].Name], TimeSpan.FromSeconds(2), "stopped node down");

        using var response = await gateway.Client.GetAsync("/gateway/status");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"<h2>{ResourceNames.GatewayHttpCluster}</h2>", html);
        Assert.Contains($"<h2>{ResourceNames.GatewayWebSocketCluster}</h2>", html);
        Assert.Contains("<tr class=\"up\"><td>odoo-1</td>", html);
        Assert.Contains("<tr class=\"down\"><td>odoo-2</td>", html);
        Assert.Contains("<tr class=\"up\"><td>odoo-3</td>", html);
    }

    [Fact]
    public async Task The_json_status_lists_every_node_with_state_counters_weight_and_last_check()
    {
        await using var gateway = await InProcessGateway.StartAsync(settings: new Dictionary<string, string?> { ["Weights:odoo-3"] = "2" });
        for (var i = 0; i < 9; i++)
        {
            using var served = await gateway.Client.GetAsync("/odoo");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "/gateway/status");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await gateway.Client.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var clusters = json.RootElement.GetProperty("clusters").EnumerateArray().ToList();
        Assert.Equal([ResourceNames.GatewayHttpCluster, ResourceNames.GatewayWebSocketCluster], clusters.Select(c => c.GetProperty("id").GetString()).Order());
        var http = clusters.Single(c => c.GetProperty("id").GetString() == ResourceNames.GatewayHttpCluster);
        var nodes = http.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(["odoo-1", "odoo-2", "odoo-3"], nodes.Select(n => n.GetProperty("id").GetString()));
        Assert.All(nodes, n => Assert.Equal("up", n.GetProperty("state").GetString()));
        Assert.All(nodes, n => Assert.True(n.GetProperty("lastCheck").GetProperty("passed").GetBoolean()));
        Assert.Equal(9, nodes.Sum(n => n.GetProperty("served").GetInt64()));
        Assert.Equal(2, nodes[2].GetProperty("weight").GetDouble());
    }
}
