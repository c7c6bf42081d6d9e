using Microsoft.AspNetCore.Http;

namespace OdooAspire.Gateway.Routing;

/// <summary>
/// A request path as Odoo's router (werkzeug) will match it, for the gateway's decisions about it. Kestrel has already
/// decoded every escape but <c>%2F</c>, which the node's WSGI server decodes to <c>/</c>; werkzeug then matches with
/// trailing slashes optional (<c>strict_slashes=False</c>). Deciding on the raw path would let <c>/xmlrpc%2Fdb</c> or
/// <c>/jsonrpc/</c> through as "something else".
/// </summary>
public static class OdooPath
{
    /// <summary>The path with encoded slashes decoded, repeated slashes and dot segments collapsed, no trailing slash.</summary>
    public static string Normalise(PathString path)
    {
        var value = path.Value ?? "";
        if (IsNormal(value))
        {
            // Nearly every request: nothing to rewrite, nothing to allocate on the gateway's hot path.
            return value;
        }

        if (value.Contains("%2f", StringComparison.OrdinalIgnoreCase))
        {
            value = value.Replace("%2f", "/", StringComparison.OrdinalIgnoreCase);
        }

        var segments = new List<string>();
        foreach (var segment in value.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == "..")
            {
                if (segments.Count > 0)
                {
                    segments.RemoveAt(segments.Count - 1);
                }
            }
            else if (segment != ".")
            {
                segments.Add(segment);
            }
        }

        return "/" + string.Join('/', segments);
    }

    /// <summary>Starts with '/', no trailing or doubled slash, no dot segment, no encoded slash.</summary>
    private static bool IsNormal(string value) =>
        value.Length > 0 && value[0] == '/'
        && (value.Length == 1 || value[^1] != '/')
        && !value.Contains("//", StringComparison.Ordinal)
        && !value.Contains("/.", StringComparison.Ordinal)
        && !value.Contains('%', StringComparison.Ordinal);

    /// <summary>Whether normalised <paramref name="path"/> is <paramref name="prefix"/> or below it, ignoring case.</summary>
    public static bool IsUnder(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
        && (path.Length == prefix.Length || path[prefix.Length] == '/');
}
