using OdooAspire.Gateway.Status;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Gateway;

/// <summary>What the Aspire dashboard shows for the gateway, from the model built but not started.</summary>
public sealed class GatewayDashboardTests
{
    [Fact]
    public async Task The_dashboard_links_the_gateways_status_page()
    {
        await using var builder = await TestStack.CreateBuilderAsync("--OdooAspire:Runtime=Processes");
        var gateway = builder.Resources.Single(r => r.Name == ResourceNames.Gateway);
        ModelValues.AllocateEndpoints(builder);

        var context = new ResourceUrlsCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), gateway);
        foreach (var callback in gateway.Annotations.OfType<ResourceUrlsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        var http = gateway.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "http").AllocatedEndpoint!;
        var status = Assert.Single(context.Urls, url => url.DisplayText == "gateway status");
        Assert.Equal($"http://{http.Address}:{http.Port}{StatusPage.Path}", status.Url);
    }
}
