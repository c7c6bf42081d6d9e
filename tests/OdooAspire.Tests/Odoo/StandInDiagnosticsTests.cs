using System.Net;
using OdooAspire.AppHost.Odoo;
using OdooAspire.Tests.Edge;

namespace OdooAspire.Tests.Odoo;

/// <summary>
/// The Odoo stand-in's own diagnostics, which the edge tests rely on: proxy_mode as Odoo applies it, and the per-node
/// count of asset requests. Stand-in only (real Odoo has no such route): checked on the edge's stack, which always runs
/// the stand-in.
/// </summary>
[Collection(EdgeStackCollection.Name)]
public sealed class StandInDiagnosticsTests(EdgeStackFixture stack)
{
    [Fact]
    public async Task The_stand_in_ignores_forwarded_headers_without_X_Forwarded_Host_as_odoos_proxy_mode_does()
    {
        using var node = NodeClient(EdgeStackFixture.Nodes[0]);
        using var request = new HttpRequestMessage(HttpMethod.Get, StandInDiagnostics.Path);
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        request.Headers.Add("X-Forwarded-Proto", "https");

        using var response = await node.SendAsync(request);
        var seen = await StandInDiagnostics.ReadAsync(response);

        Assert.False(seen.ProxyMode.Applied);
        Assert.Equal("127.0.0.1", seen.ProxyMode.RemoteAddr);
        Assert.Equal("http", seen.ProxyMode.Scheme);
        Assert.Equal("203.0.113.9", seen.Arrived.XForwardedFor);
    }

    [Fact]
    public async Task The_stand_in_believes_the_nearest_proxys_forwarded_values_when_X_Forwarded_Host_is_present()
    {
        using var node = NodeClient(EdgeStackFixture.Nodes[1]);
        using var request = new HttpRequestMessage(HttpMethod.Get, StandInDiagnostics.Path);
        request.Headers.Add("X-Forwarded-For", "203.0.113.9, 198.51.100.7");
        request.Headers.Add("X-Forwarded-Proto", "http, https");
        request.Headers.Add("X-Forwarded-Host", "spoofed.example, odoo.example:8443");

        using var response = await node.SendAsync(request);
        var seen = await StandInDiagnostics.ReadAsync(response);

        Assert.True(seen.ProxyMode.Applied);
        Assert.Equal("198.51.100.7", seen.ProxyMode.RemoteAddr);
        Assert.Equal("https", seen.ProxyMode.Scheme);
        Assert.Equal("odoo.example:8443", seen.ProxyMode.Host);
        Assert.Equal("https://odoo.example:8443/", seen.ProxyMode.UrlRoot);
        Assert.Equal("127.0.0.1", seen.Arrived.PeerAddress);
    }

    [Fact]
    public async Task The_stand_in_counts_each_asset_request_on_the_node_that_served_it()
    {
        using var browser = new OdooClient(stack.App.GetEndpoint(EdgeStackFixture.Nodes[2], OdooCluster.HttpEndpointName));
        using var page = await browser.GetWithSessionAsync("/web/login");
        var assets = LoginPageAssets.Parse(await page.Content.ReadAsStringAsync());
        using var counted = NodeClient(EdgeStackFixture.Nodes[2]);
        using var other = NodeClient(EdgeStackFixture.Nodes[0]);
        var before = (await StandInDiagnostics.GetAsync(counted)).AssetRequestsServed;
        var otherBefore = (await StandInDiagnostics.GetAsync(other)).AssetRequestsServed;

        foreach (var url in assets.All.Append("/web/static/img/no-such-file.png"))
        {
            using var response = await browser.GetWithSessionAsync(url);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{url}: {(int)response.StatusCode}");
        }

        // Pages and RPCs are not assets.
        using var login = await browser.GetWithSessionAsync("/web/login");
        Assert.Equal(before + 4, (await StandInDiagnostics.GetAsync(counted)).AssetRequestsServed);
        Assert.Equal(otherBefore, (await StandInDiagnostics.GetAsync(other)).AssetRequestsServed);
    }

    private HttpClient NodeClient(string node) => new() { BaseAddress = stack.App.GetEndpoint(node, OdooCluster.HttpEndpointName) };
}
