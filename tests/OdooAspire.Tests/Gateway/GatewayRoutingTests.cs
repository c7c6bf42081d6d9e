using Microsoft.Extensions.Logging.Abstractions;
using OdooAspire.AppHost.Gateway;

namespace OdooAspire.Tests.Gateway;

/// <summary>The AppHost hands the gateway its routes and clusters as YARP configuration: one destination per node, any N.</summary>
public sealed class GatewayRoutingTests
{
    private static async Task<Dictionary<string, string>> GatewayEnvironmentAsync(int nodeCount, params string[] args)
    {
        var builder = DistributedApplication.CreateBuilder(args);
        var nodes = Enumerable.Range(1, nodeCount)
            .Select(i => builder.AddExecutable(ResourceNames.OdooNode(i), "odoo-bin", ".")
                .WithHttpEndpoint(name: "http")
                .WithHttpEndpoint(name: "gevent"))
            .Select(node => builder.CreateResourceBuilder<IResourceWithEndpoints>(node.Resource))
            .ToList();

        var gateway = builder.AddGateway(ResourceNames.Gateway, nodes);
        // Publish mode renders endpoint references as manifest expressions, so no port needs allocating.
        var configuration = await ExecutionConfigurationBuilder.Create(gateway.Resource)
            .WithEnvironmentVariablesConfig()
            .BuildAsync(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), NullLogger.Instance, CancellationToken.None);
        return configuration.EnvironmentVariables.ToDictionary(e => e.Key, e => e.Value);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task Every_node_is_one_destination_of_the_http_cluster_and_of_the_websocket_cluster(int nodeCount)
    {
        var environment = await GatewayEnvironmentAsync(nodeCount);

        for (var i = 1; i <= nodeCount; i++)
        {
            var node = ResourceNames.OdooNode(i);
            Assert.Equal($"{{{node}.bindings.http.url}}", environment[$"ReverseProxy__Clusters__{ResourceNames.GatewayHttpCluster}__Destinations__{node}__Address"]);
            Assert.Equal($"{{{node}.bindings.gevent.url}}", environment[$"ReverseProxy__Clusters__{ResourceNames.GatewayWebSocketCluster}__Destinations__{node}__Address"]);
        }

        Assert.Equal(nodeCount * 2, environment.Keys.Count(k => k.EndsWith("__Address", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Websocket_traffic_goes_to_the_gevent_cluster_and_everything_else_to_the_http_cluster()
    {
        var environment = await GatewayEnvironmentAsync(3);

        Assert.Equal(ResourceNames.GatewayWebSocketCluster, environment[$"ReverseProxy__Routes__{ResourceNames.GatewayWebSocketCluster}__ClusterId"]);
        Assert.Equal("/websocket/{**rest}", environment[$"ReverseProxy__Routes__{ResourceNames.GatewayWebSocketCluster}__Match__Path"]);
        Assert.Equal("/websocket/health", environment[$"ReverseProxy__Clusters__{ResourceNames.GatewayWebSocketCluster}__HealthCheck__Active__Path"]);
        Assert.Equal(ResourceNames.GatewayHttpCluster, environment[$"ReverseProxy__Routes__{ResourceNames.GatewayHttpCluster}__ClusterId"]);
        Assert.Equal("/{**path}", environment[$"ReverseProxy__Routes__{ResourceNames.GatewayHttpCluster}__Match__Path"]);
        Assert.Equal("/web/health", environment[$"ReverseProxy__Clusters__{ResourceNames.GatewayHttpCluster}__HealthCheck__Active__Path"]);
    }

    [Fact]
    public async Task Gateway_settings_given_to_the_apphost_reach_the_gateway()
    {
        var environment = await GatewayEnvironmentAsync(3, "--OdooAspire:Gateway:Weights:odoo-2=3", "--OdooAspire:Gateway:Retry:HedgingDelay=00:00:00.500");

        Assert.Equal("3", environment["Gateway__Weights__odoo-2"]);
        Assert.Equal("00:00:00.500", environment["Gateway__Retry__HedgingDelay"]);
    }

    [Fact]
    public void A_gateway_without_nodes_is_refused()
    {
        var builder = DistributedApplication.CreateBuilder();
        var error = Assert.Throws<ArgumentException>(() => builder.AddGateway(ResourceNames.Gateway, []));
        Assert.Contains("at least one Odoo node", error.Message);
    }

    [Fact]
    public void The_gateway_is_the_only_external_endpoint()
    {
        var builder = DistributedApplication.CreateBuilder();
        var gateway = builder.AddGateway(ResourceNames.Gateway, [builder.CreateResourceBuilder<IResourceWithEndpoints>(
            builder.AddExecutable(ResourceNames.OdooNode(1), "odoo-bin", ".").WithHttpEndpoint(name: "http").WithHttpEndpoint(name: "gevent").Resource)]);

        Assert.All(gateway.Resource.Annotations.OfType<EndpointAnnotation>(), endpoint => Assert.True(endpoint.IsExternal));
    }
}
