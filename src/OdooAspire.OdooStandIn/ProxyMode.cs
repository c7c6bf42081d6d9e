using System.Net;

namespace OdooAspire.OdooStandIn;

/// <summary>What a request looked like on arrival, before <see cref="ProxyMode"/>: kept for the stand-in's diagnostics.</summary>
public sealed record ArrivedRequest(string PeerAddress, string Scheme, string Host, string? ForwardedFor, string? ForwardedProto, string? ForwardedHost)
{
    /// <summary>Whether proxy_mode applied the X-Forwarded-* headers to this request.</summary>
    public bool ProxyFixApplied => ForwardedHost is { Length: > 0 };
}

/// <summary>
/// Odoo's <c>proxy_mode = True</c>, which the AppHost always renders (odoo/http.py Application.__call__): werkzeug's ProxyFix
/// with x_for=1, x_proto=1, x_host=1, applied only when the request carries X-Forwarded-Host. Each header's last value wins,
/// the one the nearest proxy added.
/// </summary>
public static class ProxyMode
{
    public static IApplicationBuilder UseOdooProxyMode(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            Apply(http);
            return next(http);
        });

    public static void Apply(HttpContext http)
    {
        var headers = http.Request.Headers;
        var arrived = new ArrivedRequest(
            http.Connection.RemoteIpAddress?.ToString() ?? "", http.Request.Scheme, http.Request.Host.Value ?? "",
            Header(headers, "X-Forwarded-For"), Header(headers, "X-Forwarded-Proto"), Header(headers, "X-Forwarded-Host"));
        http.Features.Set(arrived);
        if (!arrived.ProxyFixApplied)
        {
            return;
        }

        if (Last(arrived.ForwardedFor) is { } client && IPAddress.TryParse(client, out var address))
        {
            http.Connection.RemoteIpAddress = address;
        }

        if (Last(arrived.ForwardedProto) is { } scheme)
        {
            http.Request.Scheme = scheme;
        }

        if (Last(arrived.ForwardedHost) is { } host)
        {
            http.Request.Host = new HostString(host);
        }
    }

    private static string? Header(IHeaderDictionary headers, string name) => headers.TryGetValue(name, out var value) ? value.ToString() : null;

    /// <summary>werkzeug's _get_real_value with one trusted hop: the last item of the comma-separated list.</summary>
    private static string? Last(string? value) =>
        value?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } items ? items[^1] : null;
}
