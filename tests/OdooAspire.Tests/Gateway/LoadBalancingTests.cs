using System.Net;

namespace OdooAspire.Tests.Gateway;

/// <summary>How requests spread over the nodes, and the response header that shows it.</summary>
public sealed class LoadBalancingTests
{
    private static async Task<Dictionary<string, int>> SpreadAsync(HttpClient client, int requests, string? cookie = null)
    {
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < requests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/odoo");
            if (cookie is not null)
            {
                request.Headers.Add("Cookie", cookie);
            }

            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var node = response.Headers.GetValues("X-OdooAspire-Node").Single();
            counts[node] = counts.GetValueOrDefault(node) + 1;
        }

        return counts;
    }

    [Fact]
    public async Task Every_node_serves_and_the_response_names_the_node_that_served()
    {
        await using var gateway = await InProcessGateway.StartAsync();

        var counts = await SpreadAsync(gateway.Client, 60);

        Assert.Equal(["odoo-1", "odoo-2", "odoo-3"], counts.Keys.Order());
        foreach (var (node, count) in counts)
        {
            Assert.Equal(count, gateway[node].Received.Count);
        }
    }

    [Fact]
    public async Task The_node_header_name_is_configuration()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 1, settings: new Dictionary<string, string?> { ["NodeHeaderName"] = "X-Served-By" });

        using var response = await gateway.Client.GetAsync("/odoo");

        Assert.Equal("odoo-1", response.Headers.GetValues("X-Served-By").Single());
        Assert.False(response.Headers.Contains("X-OdooAspire-Node"));
    }

    [Fact]
    public async Task A_heavier_node_gets_a_larger_share()
    {
        await using var gateway = await InProcessGateway.StartAsync(settings: new Dictionary<string, string?> { ["Weights:odoo-1"] = "4" });

        var counts = await SpreadAsync(gateway.Client, 120);

        Assert.True(counts["odoo-1"] > counts.GetValueOrDefault("odoo-2") + counts.GetValueOrDefault("odoo-3"), string.Join(", ", counts));
    }

    [Fact]
    public async Task With_affinity_a_browser_keeps_its_node()
    {
        await using var gateway = await InProcessGateway.StartAsync(settings: new Dictionary<string, string?> { ["Affinity"] = "true" });
        using var first = await gateway.Client.GetAsync("/odoo");
        var cookie = first.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".OdooAspire.Node=", StringComparison.Ordinal)).Split(';')[0];

        var counts = await SpreadAsync(gateway.Client, 30, cookie);

        Assert.Equal(first.Headers.GetValues("X-OdooAspire-Node").Single(), Assert.Single(counts).Key);
    }
}
