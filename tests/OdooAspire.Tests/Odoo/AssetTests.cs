using System.Net;
using System.Net.Http.Headers;

namespace OdooAspire.Tests.Odoo;

/// <summary>
/// What a browser gets for the login page's assets from a node: Odoo's cache headers (a year, immutable, for versioned
/// bundles; a week for static files), revalidation by ETag, and redirects or 404s for what is not current. Holds for the
/// stand-in and for real Odoo 18 alike.
/// </summary>
[Collection(OdooStackCollection.Name)]
public sealed class AssetTests(OdooStackFixture stack)
{
    [Fact]
    public async Task The_login_pages_bundles_are_cached_publicly_for_a_year_as_immutable_and_revalidate_by_etag()
    {
        using var browser = stack.Client(OdooStackFixture.Nodes[0]);
        var assets = await LoginPageAsync(browser);

        foreach (var (url, type) in new[] { (assets.Stylesheet, "text/css"), (assets.Script, "application/javascript") })
        {
            using var response = await browser.GetWithSessionAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {body}");
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            Assert.NotEmpty(body);
            var cache = response.Headers.CacheControl!;
            Assert.True(cache.Public, $"{url}: {cache}");
            Assert.Equal(TimeSpan.FromDays(365), cache.MaxAge);
            Assert.Contains(cache.Extensions, e => e.Name == "immutable");

            await AssertRevalidatesAsync(browser, url, response.Headers.ETag);
        }
    }

    [Fact]
    public async Task A_static_file_is_cached_publicly_for_a_week_without_a_session_cookie_and_revalidates_by_etag()
    {
        using var browser = stack.Client(OdooStackFixture.Nodes[1]);
        var icon = (await LoginPageAsync(browser)).Icon;
        using var visitor = stack.Client(OdooStackFixture.Nodes[2]);

        using var response = await visitor.GetAsync(icon);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cache = response.Headers.CacheControl!;
        Assert.True(cache.Public, $"{icon}: {cache}");
        Assert.Equal(TimeSpan.FromDays(7), cache.MaxAge);
        Assert.DoesNotContain(cache.Extensions, e => e.Name == "immutable");
        // Served before any session work: a shared cache may keep it for everyone.
        response.Headers.TryGetValues("Set-Cookie", out var cookies);
        Assert.Null(cookies);
        await AssertRevalidatesAsync(visitor, icon, response.Headers.ETag);
    }

    [Fact]
    public async Task An_outdated_bundle_version_redirects_to_the_current_one_and_unknown_assets_are_not_found()
    {
        using var browser = stack.Client(OdooStackFixture.Nodes[2]);
        var stylesheet = (await LoginPageAsync(browser)).Stylesheet;
        var filename = stylesheet[(stylesheet.LastIndexOf('/') + 1)..];

        using var outdated = await browser.GetWithSessionAsync($"/web/assets/0000000/{filename}");
        Assert.Equal(HttpStatusCode.SeeOther, outdated.StatusCode);
        Assert.Equal(stylesheet, outdated.Headers.Location?.OriginalString);

        // "any" asks for whatever version is current, so the answer depends only on whether the bundle exists.
        using var unknownBundle = await browser.GetWithSessionAsync("/web/assets/any/web.assets_no_such_bundle.min.css");
        Assert.Equal(HttpStatusCode.NotFound, unknownBundle.StatusCode);

        using var unknownFile = await browser.GetWithSessionAsync("/web/static/img/no-such-file.png");
        Assert.Equal(HttpStatusCode.NotFound, unknownFile.StatusCode);
    }

    private static async Task<LoginPageAssets> LoginPageAsync(OdooClient browser)
    {
        using var page = await browser.GetWithSessionAsync("/web/login");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        return LoginPageAssets.Parse(await page.Content.ReadAsStringAsync());
    }

    /// <summary>A browser holding the current copy gets 304 and no body; one holding another version gets the file again.</summary>
    private static async Task AssertRevalidatesAsync(OdooClient browser, string url, EntityTagHeaderValue? etag)
    {
        Assert.NotNull(etag);
        using var current = new HttpRequestMessage(HttpMethod.Get, url);
        current.Headers.IfNoneMatch.Add(etag);
        using var notModified = await browser.SendWithSessionAsync(current);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        using var stale = new HttpRequestMessage(HttpMethod.Get, url);
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"not-the-current-version\""));
        using var modified = await browser.SendWithSessionAsync(stale);
        Assert.Equal(HttpStatusCode.OK, modified.StatusCode);
    }
}
