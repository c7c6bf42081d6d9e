using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OdooAspire.Tests.Odoo;

/// <summary>
/// The Odoo stand-in's own diagnostics route, which real Odoo does not have: what a node saw of a request (as Odoo's
/// proxy_mode would see it, and as it arrived) and how many /web/static/ and /web/assets/ requests the node served.
/// </summary>
public sealed record StandInDiagnostics(StandInDiagnostics.ProxyModeView ProxyMode, StandInDiagnostics.ArrivedView Arrived, long AssetRequestsServed)
{
    public const string Path = OdooAspire.Odoo.StandInContract.DiagnosticsPath;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task<StandInDiagnostics> ReadAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<StandInDiagnostics>(Json))!;
    }

    /// <summary>The diagnostics of the node behind <paramref name="client"/>, for a plain GET.</summary>
    public static async Task<StandInDiagnostics> GetAsync(HttpClient client)
    {
        using var response = await client.GetAsync(Path);
        return await ReadAsync(response);
    }

    /// <summary>The request as Odoo would see it after proxy_mode.</summary>
    public sealed record ProxyModeView(bool Applied, string RemoteAddr, string Scheme, string Host, string UrlRoot);

    /// <summary>The request as it reached the node: its TCP peer and the X-Forwarded-* headers it carried.</summary>
    public sealed record ArrivedView(string PeerAddress, string Scheme, string Host, string? XForwardedFor, string? XForwardedProto, string? XForwardedHost);
}
