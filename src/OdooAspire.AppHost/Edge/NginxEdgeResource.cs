namespace OdooAspire.AppHost.Edge;

/// <summary>
/// Debian's nginx as a local process in front of the gateway (the process runtime's edge), with its nginx.conf, certificate,
/// cache and temporary files in <see cref="Folder"/>, a folder of this run.
/// </summary>
public sealed class NginxEdgeResource(string name, string command, string folder) : ExecutableResource(name, command, folder)
{
    /// <summary>TLS: what users open.</summary>
    public const string HttpsEndpointName = "https";

    /// <summary>Plain HTTP: answers every request with a 301 to <see cref="HttpsEndpointName"/>.</summary>
    public const string HttpEndpointName = "http";

    /// <summary>stub_status and the health check, for the dashboard and Aspire only.</summary>
    public const string StatusEndpointName = "status";

    public const string ConfFile = "nginx.conf";

    public string Folder { get; } = folder;

    public string ConfPath => Path.Combine(Folder, ConfFile);
}
