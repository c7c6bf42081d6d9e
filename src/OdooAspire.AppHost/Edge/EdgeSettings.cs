using Microsoft.Extensions.Configuration;
using OdooAspire.AppHost.Runtime;

namespace OdooAspire.AppHost.Edge;

/// <summary>What sits in front of the gateway: <c>OdooAspire:Edge</c>.</summary>
public enum EdgeKind
{
    /// <summary>The gateway is the external endpoint itself.</summary>
    None,
    /// <summary>nginx terminates TLS, redirects HTTP, compresses and caches Odoo's static files in front of the gateway.</summary>
    Nginx,
}

/// <summary>The edge's configuration surface; flat keys, since <c>OdooAspire:Edge</c> itself holds the kind.</summary>
public sealed record EdgeSettings(EdgeKind Kind, string? CertificatePath, string? CertificateKeyPath, string TrustedNetwork)
{
    public const string Key = "OdooAspire:Edge";
    public const string CertificateKey = "OdooAspire:EdgeCertificate";
    public const string CertificateKeyKey = "OdooAspire:EdgeCertificateKey";
    public const string TrustedNetworkKey = "OdooAspire:EdgeTrustedNetwork";

    /// <summary>
    /// Where the gateway sees a containerised edge come from: Docker and Podman give their networks private addresses in
    /// this range. Narrow it to the container network's subnet where other containers share that network.
    /// </summary>
    public const string DefaultTrustedNetwork = "172.16.0.0/12";

    /// <summary>The settings, or a <see cref="MissingPrerequisiteException"/> naming the key to fix.</summary>
    public static EdgeSettings From(IConfiguration configuration)
    {
        var configured = configuration[Key];
        var kind = EdgeKind.None;
        if (!string.IsNullOrWhiteSpace(configured) && !Enum.TryParse(configured, ignoreCase: true, out kind))
        {
            throw new MissingPrerequisiteException($"{Key}='{configured}' is not an edge: use none or nginx");
        }

        var certificate = configuration[CertificateKey] is { Length: > 0 } c ? Path.GetFullPath(c) : null;
        var key = configuration[CertificateKeyKey] is { Length: > 0 } k ? Path.GetFullPath(k) : null;
        if ((certificate is null) != (key is null))
        {
            throw new MissingPrerequisiteException(
                $"{CertificateKey} and {CertificateKeyKey} go together: give both PEM files, or neither for a generated development certificate");
        }

        foreach (var (setting, path) in new[] { (CertificateKey, certificate), (CertificateKeyKey, key) })
        {
            if (kind == EdgeKind.Nginx && path is not null && !File.Exists(path))
            {
                throw new MissingPrerequisiteException($"{setting}={path}: no such file; give the path of a PEM file");
            }
        }

        var trusted = configuration[TrustedNetworkKey] is { Length: > 0 } network ? network : DefaultTrustedNetwork;
        if (!System.Net.IPNetwork.TryParse(trusted, out _))
        {
            throw new MissingPrerequisiteException($"{TrustedNetworkKey}='{trusted}' is not a CIDR network (e.g. 172.18.0.0/16)");
        }

        return new(kind, certificate, key, trusted);
    }
}
