using Microsoft.Extensions.Configuration;
using OdooAspire.AppHost.Odoo;

namespace OdooAspire.AppHost.Gateway;

/// <summary>The YARP gateway in front of the Odoo nodes: the stack's only external endpoint.</summary>
public static class GatewayBuilderExtensions
{
    /// <summary>Where the gateway's own settings (OdooAspire.Gateway's <c>Gateway</c> section) can be given to the AppHost.</summary>
    public const string SettingsSection = "OdooAspire:Gateway";

    /// <summary>The gateway's <c>Gateway:AllowedHosts</c>: given to it from a parameter, not passed through like the other settings.</summary>
    private const string AllowedHostsSetting = "AllowedHosts";

    /// <summary>Adds the gateway project <paramref name="name"/> in front of every node of <paramref name="odoo"/>.</summary>
    public static IResourceBuilder<ProjectResource> AddGateway(this IDistributedApplicationBuilder builder, string name, OdooCluster odoo) =>
        builder.AddGateway(name, odoo.Nodes.Select(node => node.Resource));

    /// <summary>
    /// Adds the gateway project <paramref name="name"/> with one route and cluster per Odoo endpoint: <c>/websocket</c>
    /// to every node's <c>gevent</c> endpoint, everything else to every node's <c>http</c> endpoint, one destination per node.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddGateway(
        this IDistributedApplicationBuilder builder, string name, IEnumerable<IResourceBuilder<IResourceWithEndpoints>> nodes)
    {
        var gateway = builder.AddProject<Projects.OdooAspire_Gateway>(name)
            .WithExternalHttpEndpoints()
            .WithHttpHealthCheck("/health")
            .WithIconName("ArrowRouting");
        // Its HAProxy-style status page (OdooAspire.Gateway's StatusPage.Path), one click away in the dashboard.
        gateway.WithUrl($"{gateway.GetEndpoint("http")}/gateway/status", "gateway status");

        foreach (var route in GatewayRoute.All)
        {
            gateway.WithEnvironment($"ReverseProxy__Routes__{route.Cluster}__ClusterId", route.Cluster)
                .WithEnvironment($"ReverseProxy__Routes__{route.Cluster}__Match__Path", route.PathPattern)
                .WithEnvironment($"ReverseProxy__Clusters__{route.Cluster}__HealthCheck__Active__Path", route.HealthPath);
        }

        var count = 0;
        foreach (var node in nodes)
        {
            count++;
            foreach (var route in GatewayRoute.All)
            {
                gateway.WithEnvironment(
                    $"ReverseProxy__Clusters__{route.Cluster}__Destinations__{node.Resource.Name}__Address",
                    node.GetEndpoint(route.EndpointName));
            }

            gateway.WithReferenceRelationship(node);
        }

        if (count == 0)
        {
            throw new ArgumentException("The gateway needs at least one Odoo node to route to.", nameof(nodes));
        }

        // The gateway answers 421 to any other host; deployed, the public names are only known to the operator, so azd asks.
        var allowedHosts = builder.AddParameter(ResourceNames.GatewayAllowedHosts, builder.Configuration[$"{SettingsSection}:{AllowedHostsSetting}"] ?? "", publishValueAsDefault: false)
            .WithDescription("Host names Odoo is served under, separated by ';' (shop.example.com;*.azurecontainerapps.io). Loopback names are always allowed.");
        gateway.WithEnvironment($"Gateway__{AllowedHostsSetting}", allowedHosts);

        foreach (var setting in builder.Configuration.GetSection(SettingsSection).AsEnumerable(makePathsRelative: true))
        {
            if (setting.Value is not null && setting.Key != AllowedHostsSetting)
            {
                gateway.WithEnvironment($"Gateway__{setting.Key.Replace(":", "__", StringComparison.Ordinal)}", setting.Value);
            }
        }

        return gateway;
    }
}
