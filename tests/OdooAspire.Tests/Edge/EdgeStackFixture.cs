using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OdooAspire.AppHost.Edge;
using OdooAspire.AppHost.Odoo;
using OdooAspire.Tests.Gateway;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Edge;

/// <summary>
/// The stack on the process runtime with <c>--OdooAspire:Edge=nginx</c>: Debian's nginx in front of the gateway, stand-in nodes
/// behind it. A test-only backend sits behind the gateway on its own routes (<see cref="ProbePrefix"/>), so a test can see
/// exactly what arrived behind the gateway and how often.
/// </summary>
public sealed class EdgeStackFixture : IAsyncLifetime
{
    public const string Database = "odoo";

    /// <summary>Routed by the gateway to <see cref="Probe"/>, never to a node.</summary>
    public const string ProbePrefix = "/edge-probe";

    /// <summary>A static path (cached by the edge) the gateway also routes to <see cref="Probe"/>.</summary>
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
        foreach (var (route, path) in new[] { ("edge-probe", $"{ProbePrefix}/{{**rest}}"), ("edge-probe-static", $"{ProbeStaticPrefix}/{{**rest}}") })
        {
            gateway.WithEnvironment($"ReverseProxy__Routes__{route}__ClusterId", "edge-probe")
                .WithEnvironment($"ReverseProxy__Routes__{route}__Match__Path", path);
        }

        gateway.WithEnvironment("ReverseProxy__Clusters__edge-probe__Destinations__probe__Address", Probe.Address.ToString());

        App = await builder.BuildAsync();
        using var cts = new CancellationTokenSource(TestStack.StartTimeout);
        await App.StartAsync(cts.Token);
        foreach (var node in Nodes)
        {
            await App.WaitHealthyAsync(node);
        }

        await App.WaitHealthyAsync(ResourceNames.Edge);
    }

    /// <summary>A client of the edge that accepts its generated development certificate, and only that one: tests only.</summary>
    public HttpClient EdgeClient(bool http2 = false) => new(new SocketsHttpHandler
    {
        UseCookies = false,
        AllowAutoRedirect = false,
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = AcceptsDevelopmentCertificate },
    })
    {
        BaseAddress = Https,
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestVersion = http2 ? HttpVersion.Version20 : HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    public static bool AcceptsDevelopmentCertificate(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate,
        System.Security.Cryptography.X509Certificates.X509Chain? chain, SslPolicyErrors errors) =>
        certificate?.Subject.Contains("OdooAspire development edge", StringComparison.Ordinal) == true;

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
