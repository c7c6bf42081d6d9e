using System.Net;
using System.Text.RegularExpressions;
using OdooAspire.AppHost.Edge;
using OdooAspire.Tests.Infrastructure;
using OdooAspire.Tests.Odoo;

namespace OdooAspire.Tests.Edge;

/// <summary>A real browser (headless Chromium) through edge, gateway and node: the login page with its assets, then the edge's cache.</summary>
[Collection(EdgeStackCollection.Name)]
public sealed partial class BrowserTests(EdgeStackFixture stack)
{
    [Fact]
    public async Task A_browser_loads_the_login_page_over_https_with_its_assets_and_a_second_browser_gets_them_from_the_edge_cache()
    {
        var page = new Uri(stack.Https, "/web/login");
        var pin = await stack.EdgeCertificatePinAsync();

        var first = await HeadlessChromium.DumpDomAsync(page, pin);

        Assert.Contains("stand-in for an Odoo node", first);
        // Set by the script bundle after it read a style only the stylesheet bundle gives: both arrived and ran.
        Assert.True(AssetsApplied().IsMatch(first), $"the page's script did not report both bundles applied:\n{first}");

        // Whatever the first browser fetched, every asset the page links is now in the edge's cache.
        var assets = LoginPageAssets.Parse(first);
        using var client = stack.EdgeClient();
        var (session, _) = await EdgePages.LoginPageAsync(client);
        foreach (var url in assets.All)
        {
            await Poll.UntilAsync(() => CacheStatusAsync(client, url, session), status => status == "HIT", TimeSpan.FromSeconds(10), $"{url} cached by the edge");
        }

        var served = await stack.AssetRequestsServedAsync();
        var second = await HeadlessChromium.DumpDomAsync(page, pin);

        Assert.True(AssetsApplied().IsMatch(second), $"the second browser's page did not report both bundles applied:\n{second}");
        Assert.Equal(served, await stack.AssetRequestsServedAsync());
        // The count above would have moved had an asset reached a node: one fetched straight from a node does.
        using var node = stack.NodeClient(EdgeStackFixture.Nodes[0]);
        using var direct = await node.GetAsync(assets.Icon);
        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        Assert.Equal(served + 1, await stack.AssetRequestsServedAsync());
    }

    /// <summary>The edge's X-Cache-Status for a browser that already holds a session cookie, as the page's own asset requests do.</summary>
    private static async Task<string> CacheStatusAsync(HttpClient client, string url, string session)
    {
        using var response = await EdgePages.GetAsync(client, url, session);
        return response.Headers.TryGetValues(NginxConfRenderer.CacheStatusHeader, out var values) ? values.Single() : "";
    }

    [GeneratedRegex("""<body[^>]*data-stand-in-assets="stylesheet script"[^>]*>""")]
    private static partial Regex AssetsApplied();
}
