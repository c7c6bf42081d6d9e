using Microsoft.AspNetCore.Http;
using OdooAspire.Gateway.Routing;

namespace OdooAspire.Tests.Gateway;

/// <summary>The gateway judges a path as Odoo's router will match it, not as it was spelled.</summary>
public sealed class OdooPathTests
{
    [Theory]
    [InlineData("/web/login", "/web/login")]
    [InlineData("/", "/")]
    [InlineData("", "/")]
    [InlineData("/jsonrpc/", "/jsonrpc")]
    [InlineData("//jsonrpc", "/jsonrpc")]
    [InlineData("/xmlrpc%2F2%2fdb", "/xmlrpc/2/db")]
    [InlineData("/static/..%2F..%2Fweb/database/drop", "/web/database/drop")]
    [InlineData("/web/./database//list/", "/web/database/list")]
    [InlineData("/.well-known/x", "/.well-known/x")]
    public void Normalise_decodes_encoded_slashes_and_collapses_what_werkzeug_would(string path, string expected) =>
        Assert.Equal(expected, OdooPath.Normalise(new PathString(path == "" ? null : path)));

    [Theory]
    [InlineData("/web/database", true)]
    [InlineData("/WEB/Database/manager", true)]
    [InlineData("/web/databases", false)]
    [InlineData("/web", false)]
    public void IsUnder_matches_whole_segments_ignoring_case(string path, bool under) =>
        Assert.Equal(under, OdooPath.IsUnder(path, "/web/database"));
}
