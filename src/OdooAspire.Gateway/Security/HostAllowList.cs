using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace OdooAspire.Gateway.Security;

/// <summary>
/// Forwards only requests for a host Odoo is served under (<c>Gateway:AllowedHosts</c>, plus loopback names). Odoo's
/// proxy mode builds every URL it sends (and, on an admin's visit, web.base.url) from X-Forwarded-Host, which the
/// gateway sets from the request's Host: any other host would be a host-header injection. Answered 421, before any body
/// is read. Behind a trusted edge the Host checked is the one the browser used (X-Forwarded-Host, applied earlier).
/// </summary>
public sealed class HostAllowList
{
    public const string Message = "Unknown host: this gateway serves Odoo only under the host names in Gateway:AllowedHosts.";

    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    private readonly bool _anyHost;
    private readonly HashSet<string> _hosts = new(LoopbackHosts, StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _suffixes = [];

    public HostAllowList(IOptions<GatewayOptions> options)
    {
        foreach (var entry in options.Value.AllowedHosts.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (entry == "*")
            {
                _anyHost = true;
            }
            else if (entry.StartsWith("*.", StringComparison.Ordinal))
            {
                _suffixes.Add(entry[1..]);
            }
            else
            {
                _hosts.Add(entry);
            }
        }
    }

    public bool Allows(HostString host)
    {
        if (!host.HasValue)
        {
            return false;
        }

        var name = host.Host;
        return _anyHost
            || _hosts.Contains(name)
            || _suffixes.Any(suffix => name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));
    }

    public Task InvokeAsync(HttpContext context, Func<Task> next) =>
        Allows(context.Request.Host) ? next() : Refuse.WriteAsync(context, StatusCodes.Status421MisdirectedRequest, Message);
}
