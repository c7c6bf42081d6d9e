using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OdooAspire.AppHost.Gateway;
using OdooAspire.Gateway.Status;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Gateway;

/// <summary>
/// The real gateway pipeline (AddOdooGateway/MapOdooGateway) hosted in the test on 127.0.0.1, over test backends
/// named odoo-1..N, with the same routes and clusters the AppHost renders.
/// </summary>
public sealed class InProcessGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessGateway(WebApplication app, IReadOnlyList<TestBackend> nodes, Uri address)
    {
        _app = app;
        Nodes = nodes;
        Address = address;
        Client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public IReadOnlyList<TestBackend> Nodes { get; }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public StatusPage Status => _app.Services.GetRequiredService<StatusPage>();

    public IServiceProvider Services => _app.Services;

    public TestBackend this[string name] => Nodes.Single(n => n.Name == name);

    /// <summary>
    /// Starts <paramref name="nodeCount"/> backends and a gateway over them; <paramref name="settings"/> go under
    /// <c>Gateway:</c>. With <paramref name="httpsCertificate"/> the gateway also listens for HTTPS.
    /// </summary>
    public static async Task<InProcessGateway> StartAsync(
        int nodeCount = 3, IDictionary<string, string?>? settings = null, X509Certificate2? httpsCertificate = null)
    {
        var nodes = new List<TestBackend>();
        for (var i = 1; i <= nodeCount; i++)
        {
            nodes.Add(await TestBackend.StartAsync(ResourceNames.OdooNode(i)));
        }

        var configuration = new Dictionary<string, string?>();
        foreach (var route in GatewayRoute.All)
        {
            configuration[$"ReverseProxy:Routes:{route.Cluster}:ClusterId"] = route.Cluster;
            configuration[$"ReverseProxy:Routes:{route.Cluster}:Match:Path"] = route.PathPattern;
            configuration[$"ReverseProxy:Clusters:{route.Cluster}:HealthCheck:Active:Path"] = route.HealthPath;
            foreach (var node in nodes)
            {
                configuration[$"ReverseProxy:Clusters:{route.Cluster}:Destinations:{node.Name}:Address"] = node.Address.ToString();
            }
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[$"Gateway:{key}"] = value;
        }

        // Development, as the AppHost runs projects: the environment in which ASP.NET Core would show error details.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.ClearProviders();
        // A real https port, not 0: HTTPS redirection needs it in the configured URLs.
        builder.WebHost.UseUrls(httpsCertificate is null ? "http://127.0.0.1:0" : $"http://127.0.0.1:0;https://127.0.0.1:{LoopbackPort.Free()}");
        if (httpsCertificate is not null)
        {
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = httpsCertificate));
        }

        builder.AddOdooGateway();
        var app = builder.Build();
        app.MapOdooGateway();
        await app.StartAsync();

        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First(a => a.StartsWith("http:", StringComparison.Ordinal)));
        var gateway = new InProcessGateway(app, nodes, address);
        await gateway.WaitUntilAsync(node => node.State == "up", nodes.Select(n => n.Name), TimeSpan.FromSeconds(10), "every node up");
        return gateway;
    }

    /// <summary>The http cluster's view of a node on the status page.</summary>
    public NodeStatus Node(string name) =>
        Status.Snapshot().Clusters.Single(c => c.Id == ResourceNames.GatewayHttpCluster).Nodes.Single(n => n.Id == name);

    public Task WaitUntilAsync(Func<NodeStatus, bool> condition, IEnumerable<string> nodes, TimeSpan deadline, string what) =>
        Poll.UntilAsync(() => Task.FromResult(nodes.Select(Node).ToList()), list => list.All(condition), deadline, what, TimeSpan.FromMilliseconds(20));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.DisposeAsync();
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }
}
