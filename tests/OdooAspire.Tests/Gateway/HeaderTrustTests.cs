using Microsoft.AspNetCore.Builder;
using OdooAspire.Gateway.Security;

namespace OdooAspire.Tests.Gateway;

/// <summary>Odoo's proxy_mode believes X-Forwarded-*: only the gateway, or an edge it trusts, may set them.</summary>
public sealed class HeaderTrustTests
{
    private static HttpRequestMessage Spoofed()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/web/login");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "shop.example.com");
        request.Headers.Add("Forwarded", "for=203.0.113.9;host=shop.example.com;proto=https");
        return request;
    }

    [Fact]
    public async Task Forwarded_headers_from_an_untrusted_client_are_replaced_by_the_gateways_own()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 1);

        using var response = await gateway.Client.SendAsync(Spoofed());
        var echo = await TestBackend.Echo.ReadAsync(response);

        Assert.Equal("127.0.0.1", echo.ForwardedFor);
        Assert.Equal("http", echo.ForwardedProto);
        Assert.Equal(gateway.Address.Authority, echo.ForwardedHost);
        Assert.Equal("", echo.Forwarded);
    }

    [Fact]
    public async Task Forwarded_headers_from_a_trusted_edge_reach_odoo()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 1, settings: new Dictionary<string, string?>
        {
            ["TrustedEdges:0"] = "127.0.0.0/8",
            ["AllowedHosts"] = "shop.example.com",
        });

        using var response = await gateway.Client.SendAsync(Spoofed());
        var echo = await TestBackend.Echo.ReadAsync(response);

        Assert.Equal("203.0.113.9", echo.ForwardedFor);
        Assert.Equal("https", echo.ForwardedProto);
        Assert.Equal("shop.example.com", echo.ForwardedHost);
    }

    [Fact]
    public async Task Odoo_gets_a_host_header_and_forwarded_host_even_for_a_client_that_sent_no_forwarded_headers()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 1);

        using var response = await gateway.Client.GetAsync("/web/login");
        var echo = await TestBackend.Echo.ReadAsync(response);

        Assert.Equal(gateway.Nodes[0].Address.Authority, echo.Host);
        Assert.Equal(gateway.Address.Authority, echo.ForwardedHost);
    }

    [Fact]
    public void A_trusted_edge_that_is_not_an_address_is_refused_with_the_expected_format()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ForwardedHeadersTrust.Configure(new ForwardedHeadersOptions(), ["edge.example.com"]));
        Assert.Contains("edge.example.com", error.Message);
        Assert.Contains("CIDR", error.Message);
    }
}
