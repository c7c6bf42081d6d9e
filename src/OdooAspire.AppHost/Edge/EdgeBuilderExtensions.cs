using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OdooAspire.AppHost.Runtime;

namespace OdooAspire.AppHost.Edge;

/// <summary>The optional nginx edge in front of the gateway (<c>OdooAspire:Edge=nginx</c>).</summary>
public static partial class EdgeBuilderExtensions
{
    /// <summary>The official image the edge image builds on; 1.25.1 or later, so the conf says <c>http2 on;</c>.</summary>
    public const string ContainerImage = "nginx";
    public const string ContainerImageTag = "1.28";

    /// <summary>The edge's source address towards the gateway in the process runtime (see <see cref="NginxConf.UpstreamBindAddress"/>).</summary>
    public const string ProcessUpstreamAddress = "127.0.0.2";

    /// <summary>The gateway's own setting (OdooAspire.Gateway, <c>Gateway:TrustedEdges</c>) listing the proxies whose X-Forwarded-* it believes.</summary>
    public const string GatewayTrustedEdgesVariable = "Gateway__TrustedEdges__0";

    private const string GatewayEndpointName = "http";

    /// <summary>The gateway's endpoint only the process edge uses.</summary>
    private const string GatewayEdgeEndpointName = "edge";
    private const int ContainerHttpsPort = 8443;
    private const int ContainerHttpPort = 8080;
    private const int ContainerStatusPort = 8081;

    /// <summary>The edge image's folder beside the AppHost: the official image plus the script that writes the conf at start.</summary>
    public const string ImageFolder = "nginx-edge";

    /// <summary>The rendered conf, base64 because deployment tools read braces in environment values as references.</summary>
    public const string ContainerConfVariable = "ODOOASPIRE_NGINX_CONF_BASE64";

    /// <summary>The gateway's host:port, which the start script puts where the conf says <see cref="ContainerGatewayPlaceholder"/>.</summary>
    public const string ContainerGatewayVariable = "ODOOASPIRE_GATEWAY";
    public const string ContainerGatewayPlaceholder = "${ODOOASPIRE_GATEWAY}";
    public const string ContainerCertificateVariable = "ODOOASPIRE_TLS_CERTIFICATE";
    public const string ContainerCertificateKeyVariable = "ODOOASPIRE_TLS_KEY";

    /// <summary>Where the image's start script writes the conf and the TLS files (nginx-edge/Dockerfile's CMD reads it).</summary>
    private const string ContainerConfDirectory = "/etc/nginx/odooaspire";

    /// <summary>
    /// Adds nginx <paramref name="name"/> in front of <paramref name="gateway"/> when <c>OdooAspire:Edge</c> is <c>nginx</c>
    /// (the official image in containers, Debian's nginx as a process), makes it the external endpoint instead of the gateway
    /// and has the gateway trust its X-Forwarded-* headers only; null when the edge is off.
    /// </summary>
    public static IResourceBuilder<IResourceWithEndpoints>? AddEdge(
        this IDistributedApplicationBuilder builder, string name, RuntimeChoice runtime, IResourceBuilder<ProjectResource> gateway)
    {
        var settings = EdgeSettings.From(builder.Configuration);
        if (settings.Kind == EdgeKind.None)
        {
            return null;
        }

        var edge = runtime.IsContainers
            ? AddContainer(builder, name, settings, gateway)
            : AddProcess(builder, name, settings, gateway);

        // The edge is now what users reach; the gateway stays reachable inside the application only.
        foreach (var endpoint in gateway.Resource.Annotations.OfType<EndpointAnnotation>())
        {
            endpoint.IsExternal = false;
        }

        return edge;
    }

    /// <summary>What the edge is in either runtime: healthy when it reaches the gateway, linked from the dashboard, started after the gateway.</summary>
    private static IResourceBuilder<IResourceWithEndpoints> AsEdge<T>(this IResourceBuilder<T> edge, IResourceBuilder<ProjectResource> gateway)
        where T : IResourceWithEndpoints, IResourceWithWaitSupport
    {
        edge.WithHttpHealthCheck(NginxConfRenderer.HealthPath, endpointName: NginxEdgeResource.StatusEndpointName)
            .WithUrlForEndpoint(NginxEdgeResource.HttpsEndpointName, url => url.DisplayText = "Odoo over HTTPS (edge)")
            .WithUrlForEndpoint(NginxEdgeResource.HttpEndpointName, url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            .WithUrlForEndpoint(NginxEdgeResource.StatusEndpointName, url =>
            {
                url.Url = NginxConfRenderer.StatusPath;
                url.DisplayText = "nginx status";
            })
            .WithIconName("ShieldGlobe")
            .WithReferenceRelationship(gateway)
            .WaitFor(gateway);
        return edge.ApplicationBuilder.CreateResourceBuilder<IResourceWithEndpoints>(edge.Resource);
    }

    private static IResourceBuilder<IResourceWithEndpoints> AddProcess(
        IDistributedApplicationBuilder builder, string name, EdgeSettings settings, IResourceBuilder<ProjectResource> gateway)
    {
        var nginx = Executables.Find("nginx")
            ?? throw new MissingPrerequisiteException("nginx not found on PATH: apt-get install nginx");
        var openssl = settings.CertificatePath is null
            ? Executables.Find("openssl") ?? throw new MissingPrerequisiteException(
                $"openssl not found on PATH: apt-get install openssl (or give {EdgeSettings.CertificateKey} and {EdgeSettings.CertificateKeyKey})")
            : null;
        var http2Directive = SupportsHttp2Directive(nginx);

        var folder = Path.Combine(builder.RunDirectory(), name);
        Directory.CreateDirectory(folder);
        var edge = builder.AddResource(new NginxEdgeResource(name, nginx, folder))
            .WithArgs("-p", folder + Path.DirectorySeparatorChar, "-c", Path.Combine(folder, NginxEdgeResource.ConfFile), "-e", "/dev/stdout")
            .WithHttpsEndpoint(name: NginxEdgeResource.HttpsEndpointName, isProxied: false)
            .WithHttpEndpoint(name: NginxEdgeResource.HttpEndpointName, isProxied: false)
            .WithHttpEndpoint(name: NginxEdgeResource.StatusEndpointName, isProxied: false)
            .WithExternalHttpEndpoints();

        // A gateway port of the edge's own, past Aspire's proxy, so the gateway sees the edge's source address, not the proxy's.
        gateway.WithHttpEndpoint(name: GatewayEdgeEndpointName, isProxied: false)
            .WithUrlForEndpoint(GatewayEdgeEndpointName, url => url.DisplayLocation = UrlDisplayLocation.DetailsOnly)
            .WithEnvironment(GatewayTrustedEdgesVariable, ProcessUpstreamAddress);
        var gatewayEndpoint = gateway.GetEndpoint(GatewayEdgeEndpointName);

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(edge.Resource, async (e, cancellationToken) =>
        {
            await RenderAsync(e.Services, edge.Resource, edge.Resource.ConfPath, async () =>
            {
                var (certificate, key) = settings.CertificatePath is { } provided
                    ? (provided, settings.CertificateKeyPath!)
                    : await DevelopmentCertificate.EnsureAsync(openssl!, Path.Combine(folder, "tls"), cancellationToken).ConfigureAwait(false);
                var https = edge.GetEndpoint(NginxEdgeResource.HttpsEndpointName).Port;
                return new NginxConf
                {
                    ListenAddress = "127.0.0.1",
                    HttpsPort = https,
                    HttpPort = edge.GetEndpoint(NginxEdgeResource.HttpEndpointName).Port,
                    StatusPort = edge.GetEndpoint(NginxEdgeResource.StatusEndpointName).Port,
                    PublicHttpsPort = https,
                    GatewayAddress = $"127.0.0.1:{gatewayEndpoint.Port.ToString(CultureInfo.InvariantCulture)}",
                    UpstreamBindAddress = ProcessUpstreamAddress,
                    Tls = new NginxTls(certificate, key),
                    // nginx drops its workers' privileges only when started as root; www-data is Debian's web server user.
                    WorkerUser = Environment.IsPrivilegedProcess ? "www-data" : null,
                    PidPath = Path.Combine(folder, "nginx.pid"),
                    TempDirectory = Path.Combine(folder, "temp"),
                    CacheDirectory = Path.Combine(folder, "cache"),
                    Http2Directive = http2Directive,
                };
            }).ConfigureAwait(false);
        });

        return edge.AsEdge(gateway);
    }

    private static IResourceBuilder<IResourceWithEndpoints> AddContainer(
        IDistributedApplicationBuilder builder, string name, EdgeSettings settings, IResourceBuilder<ProjectResource> gateway)
    {
        // Deployed (Azure Container Apps), the platform's ingress terminates TLS, redirects HTTP and speaks HTTP/2, and
        // passes only plain HTTP to one port: the site is served there. A local run terminates TLS in the edge itself.
        var deployed = builder.ExecutionContext.IsPublishMode;
        var edge = builder.AddDockerfile(name, Path.Combine(builder.AppHostDirectory, ImageFolder))
            .WithBuildArg("NGINX_IMAGE", $"{ContainerImage}:{ContainerImageTag}");
        if (deployed)
        {
            edge.WithHttpEndpoint(name: NginxEdgeResource.HttpEndpointName, targetPort: ContainerHttpPort);
        }
        else
        {
            edge.WithHttpsEndpoint(name: NginxEdgeResource.HttpsEndpointName, targetPort: ContainerHttpsPort)
                .WithHttpEndpoint(name: NginxEdgeResource.HttpEndpointName, targetPort: ContainerHttpPort);
        }

        edge.WithExternalHttpEndpoints()
            .WithHttpEndpoint(name: NginxEdgeResource.StatusEndpointName, targetPort: ContainerStatusPort);
        gateway.WithEnvironment(GatewayTrustedEdgesVariable, settings.TrustedNetwork);

        // The conf travels in the environment: the image's start script writes it (nginx-edge/odooaspire-edge.sh).
        var gatewayAddress = gateway.GetEndpoint(GatewayEndpointName).Property(EndpointProperty.HostAndPort);
        edge.WithEnvironment(async context =>
        {
            var https = edge.GetEndpoint(NginxEdgeResource.HttpsEndpointName);
            var conf = NginxConfRenderer.Render(new NginxConf
            {
                HttpsPort = deployed ? ContainerHttpPort : ContainerHttpsPort,
                HttpPort = deployed ? null : ContainerHttpPort,
                StatusPort = ContainerStatusPort,
                PublicHttpsPort = !deployed && https.IsAllocated ? https.Port : null,
                GatewayAddress = ContainerGatewayPlaceholder,
                Tls = deployed ? null : new NginxTls(
                    $"{ContainerConfDirectory}/tls/{DevelopmentCertificate.CertificateFile}", $"{ContainerConfDirectory}/tls/{DevelopmentCertificate.KeyFile}"),
                WorkerUser = "nginx",
                PidPath = "/tmp/nginx.pid",
                TempDirectory = "/var/cache/nginx/temp",
                CacheDirectory = "/var/cache/nginx/odoo-static",
                Http2Directive = true,
            });
            context.EnvironmentVariables[ContainerConfVariable] = Convert.ToBase64String(Encoding.UTF8.GetBytes(conf));
            context.EnvironmentVariables[ContainerGatewayVariable] = gatewayAddress;
            if (deployed)
            {
                return;
            }

            var (certificate, key) = settings.CertificatePath is { } provided
                ? (provided, settings.CertificateKeyPath!)
                : await DevelopmentCertificate.EnsureAsync(
                    Executables.Find("openssl") ?? throw new MissingPrerequisiteException("openssl not found on PATH: apt-get install openssl"),
                    Path.Combine(builder.RunDirectory(), name, "tls"), context.CancellationToken).ConfigureAwait(false);
            context.EnvironmentVariables[ContainerCertificateVariable] = await File.ReadAllTextAsync(certificate, context.CancellationToken).ConfigureAwait(false);
            context.EnvironmentVariables[ContainerCertificateKeyVariable] = await File.ReadAllTextAsync(key, context.CancellationToken).ConfigureAwait(false);
        });

        return edge.AsEdge(gateway);
    }

    /// <summary>Writes the conf at every start; a failure is shown in the edge's own log, where whoever sees it fail will look.</summary>
    private static async Task RenderAsync(IServiceProvider services, IResource edge, string path, Func<Task<NginxConf>> resolve)
    {
        try
        {
            var conf = await resolve().ConfigureAwait(false);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // nginx makes only the last folder of each temporary path itself.
            Directory.CreateDirectory(conf.TempDirectory);
            await File.WriteAllTextAsync(path, NginxConfRenderer.Render(conf), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            services.GetRequiredService<ResourceLoggerService>().GetLogger(edge).LogError("Could not render {Path}: {Reason}", path, ex.Message);
            throw;
        }
    }

    /// <summary>Whether this nginx takes <c>http2 on;</c> (1.25.1 and later) rather than <c>listen … http2</c>.</summary>
    private static bool SupportsHttp2Directive(string nginx)
    {
        var start = new ProcessStartInfo(nginx, ["-v"]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return NginxVersion().Match(output) is { Success: true } match
            && new Version(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
                int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture)) >= new Version(1, 25, 1);
    }

    [GeneratedRegex(@"nginx/(\d+)\.(\d+)\.(\d+)")]
    private static partial Regex NginxVersion();
}
