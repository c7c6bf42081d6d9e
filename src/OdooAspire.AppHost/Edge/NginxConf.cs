namespace OdooAspire.AppHost.Edge;

/// <summary>
/// Everything the edge's nginx.conf depends on, resolved from the model for one start: where nginx listens, where the
/// gateway is, which certificate it presents and where it keeps its files. <see cref="NginxConfRenderer"/> turns it into text.
/// </summary>
public sealed record NginxConf
{
    /// <summary>Address the three servers listen on: 127.0.0.1 for a process, null (every interface) inside a container.</summary>
    public string? ListenAddress { get; init; }

    /// <summary>The site's port: TLS, unless TLS ends in front of the edge (<see cref="Tls"/> null).</summary>
    public required int HttpsPort { get; init; }

    /// <summary>The plain-HTTP port that only redirects to HTTPS; null when whatever is in front redirects itself.</summary>
    public int? HttpPort { get; init; }

    /// <summary>The stub_status and health server; never exposed beyond the machine or the container network.</summary>
    public required int StatusPort { get; init; }

    /// <summary>The HTTPS port browsers reach, for the HTTP→HTTPS redirect; null when it is the default 443.</summary>
    public int? PublicHttpsPort { get; init; }

    /// <summary>The gateway as host:port.</summary>
    public required string GatewayAddress { get; init; }

    /// <summary>
    /// Local address the edge connects to the gateway from. On loopback every client is 127.0.0.1, so the edge speaks from
    /// 127.0.0.2: the one address whose X-Forwarded-* headers the gateway believes.
    /// </summary>
    public string? UpstreamBindAddress { get; init; }

    /// <summary>
    /// The certificate the edge presents; null when a TLS-terminating ingress is in front (Azure Container Apps passes
    /// only plain HTTP to a container), so the edge serves plain HTTP and takes the client's address and scheme from it.
    /// </summary>
    public required NginxTls? Tls { get; init; }

    /// <summary>Unprivileged user for the worker processes when the master runs as root; null leaves nginx's default.</summary>
    public string? WorkerUser { get; init; }

    public required string PidPath { get; init; }

    /// <summary>Folder for request bodies and responses nginx buffers to disk.</summary>
    public required string TempDirectory { get; init; }

    public required string CacheDirectory { get; init; }

    /// <summary>Where error and access logs go: /dev/stdout, since Aspire shows every stderr line as an error.</summary>
    public string LogPath { get; init; } = "/dev/stdout";

    /// <summary>nginx 1.25.1 replaced <c>listen … http2</c> with <c>http2 on;</c>; Debian 12 ships 1.22.</summary>
    public bool Http2Directive { get; init; }

    /// <summary>Most disk the static cache may use before the least recently used entries go.</summary>
    public string CacheMaxSize { get; init; } = "1g";

    /// <summary>Odoo's bus keeps a websocket open for hours and pings well within this.</summary>
    public TimeSpan WebSocketReadTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long a request may wait for the gateway's answer; as the gateway's own RequestTimeout.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest upload accepted; as the gateway's MaxRequestBodyBytes (Odoo imports and attachments).</summary>
    public string MaxBodySize { get; init; } = "128m";
}

/// <summary>PEM certificate chain and private key, as paths nginx reads.</summary>
public sealed record NginxTls(string CertificatePath, string CertificateKeyPath);
