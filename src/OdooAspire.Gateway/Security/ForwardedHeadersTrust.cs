using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;

namespace OdooAspire.Gateway.Security;

/// <summary>
/// Who may tell the gateway the client's address, scheme and host. Only the configured trusted edges: their
/// X-Forwarded-* headers become the request's own, and YARP then sets X-Forwarded-For/-Proto/-Host for Odoo from
/// the request, replacing whatever any other caller sent.
/// </summary>
public static class ForwardedHeadersTrust
{
    /// <summary>Headers a backend could read that the gateway does not set itself (YARP already drops Forwarded): never passed on.</summary>
    public static readonly string[] StrippedHeaders = ["X-Forwarded-Port", "X-Real-IP"];

    public static void Configure(ForwardedHeadersOptions options, IEnumerable<string> trustedEdges)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
        // ASP.NET Core trusts loopback by default; where everything is loopback that would trust everyone.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var edge in trustedEdges)
        {
            if (System.Net.IPNetwork.TryParse(edge, out var network))
            {
                options.KnownIPNetworks.Add(network);
            }
            else if (IPAddress.TryParse(edge, out var address))
            {
                options.KnownProxies.Add(address);
            }
            else
            {
                throw new InvalidOperationException(
                    $"Gateway:TrustedEdges contains '{edge}', which is neither an IP address nor a CIDR network (e.g. 10.0.0.0/8).");
            }
        }
    }
}
