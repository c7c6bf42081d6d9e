using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OdooAspire.AppHost.Edge;
using OdooAspire.AppHost.Odoo;
using OdooAspire.Tests.Gateway;
using OdooAspire.Tests.Infrastructure;
using OdooAspire.Tests.Odoo;

namespace OdooAspire.Tests.Edge;

/// <summary>
/// The stack on the process runtime with <c>--OdooAspire:Edge=nginx</c>: Debian's nginx in front of the gateway, stand-in nodes
/// behind it, whose diagnostics tell what reached a node. A test-only backend sits behind the gateway on one static route
/// (<see cref="ProbeStaticPrefix"/>) for the one response Odoo's nodes never give: a static file marked uncacheable.
/// </summary>
public sealed class EdgeStackFixture : IAsyncLifetime
{
    public const string Database = "odoo";

    /// <summary>A static path (cached by the edge) the gateway routes to <see cref="Probe"/>, never to a node.</summary>
    public const string ProbeStaticPrefix = "/web/static/edge-probe";

    public static readonly string[] Nodes = [ResourceNames.OdooNode(1), ResourceNames.OdooNode(2), ResourceNames.OdooNode(3)];

    public DistributedApplication App { get; private set; } = null!;

    public TestBackend Probe { get; private set; } = null!;

    public string AdminPassword { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    public Uri Https => App.GetEndpoint(ResourceNames.Edge, NginxEdgeResource.HttpsEndpointName);

    public Uri Http => App.GetEndpoint(ResourceNames.Edge, NginxEdgeResource.HttpEndpointName);

    public Uri Status => App.GetEndpoint(ResourceNames.Edge, NginxEdgeResource.StatusEndpointName);

    public async Task InitializeAsync()
    {
        Probe = await TestBackend.StartAsync("probe");
        var builder = await TestStack.CreateBuilderAsync(
            "--OdooAspire:Runtime=Processes", "--OdooAspire:Edge=nginx", "--OdooAspire:PostgresReplicas=1",
            $"--Parameters:{ResourceNames.OdooAdminPassword}={AdminPassword}", $"--{OdooSettings.DatabaseKey}={Database}");
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(project).WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", "");
        }

        var gateway = builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == ResourceNames.Gateway));
        gateway.WithEnvironment("ReverseProxy__Routes__edge-probe-static__ClusterId", "edge-probe")
            .WithEnvironment("ReverseProxy__Routes__edge-probe-static__Match__Path", $"{ProbeStaticPrefix}/{{**rest}}")
            .WithEnvironment("ReverseProxy__Clusters__edge-probe__Destinations__probe__Address", Probe.Address.ToString());

        App = await builder.BuildAsync();
        using var cts = new CancellationTokenSource(TestStack.StartTimeout);
        await App.StartAsync(cts.Token);
        foreach (var node in Nodes)
        {
            await App.WaitHealthyAsync(node);
        }

        await App.WaitHealthyAsync(ResourceNames.Edge);
    }

    /// <summary>
    /// A client of the edge that accepts its generated development certificate, and only that one: tests only. With
    /// <paramref name="from"/> it connects from that loopback address, so the client's address differs from every hop's.
    /// </summary>
    public HttpClient EdgeClient(bool http2 = false, IPAddress? from = null) => new(new SocketsHttpHandler
    {
        UseCookies = false,
        AllowAutoRedirect = false,
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = AcceptsDevelopmentCertificate },
        ConnectCallback = from is null ? null : async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(from, 0));
                await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        BaseAddress = Https,
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestVersion = http2 ? HttpVersion.Version20 : HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    public static bool AcceptsDevelopmentCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        certificate?.Subject.Contains("OdooAspire development edge", StringComparison.Ordinal) == true;

    /// <summary>A client of one node's own http endpoint, past the edge and the gateway.</summary>
    public HttpClient NodeClient(string node) => new() { BaseAddress = App.GetEndpoint(node, OdooCluster.HttpEndpointName), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>How many /web/static/ and /web/assets/ requests the nodes have served between them (the stand-in's diagnostics).</summary>
    public async Task<long> AssetRequestsServedAsync()
    {
        long total = 0;
        foreach (var node in Nodes)
        {
            using var client = NodeClient(node);
            total += (await StandInDiagnostics.GetAsync(client)).AssetRequestsServed;
        }

        return total;
    }

    /// <summary>The base64 SHA-256 of the edge certificate's public key, the pin Chromium's --ignore-certificate-errors-spki-list takes.</summary>
    public async Task<string> EdgeCertificatePinAsync()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, Https.Port);
        X509Certificate2? presented = null;
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (sender, certificate, chain, errors) =>
        {
            presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return AcceptsDevelopmentCertificate(sender, certificate, chain, errors);
        });
        await tls.AuthenticateAsClientAsync("localhost");
        using var certificate = presented ?? throw new InvalidOperationException("the edge presented no certificate");
        return Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Probe.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class EdgeStackCollection : ICollectionFixture<EdgeStackFixture>
{
    public const string Name = "edge stack";
}
