using System.Net;

namespace OdooAspire.Tests.Gateway;

/// <summary>Malformed, oversized and slow requests are refused with the right status and the gateway keeps serving.</summary>
public sealed class BadInputTests
{
    private static async Task AssertStillServingAsync(InProcessGateway gateway)
    {
        using var response = await gateway.Client.GetAsync("/web/login");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_malformed_request_gets_400()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 1);

        var answer = await RawHttp.SendAsync(gateway.Address, "GET /web/login HTTP/1.1\r\nHost: odoo\r\nthis is not a header\r\n\r\n", TimeSpan.FromSeconds(5));

        Assert.StartsWith("HTTP/1.1 400", answer);
        Assert.Empty(gateway.Nodes[0].Received);
        await AssertStillServingAsync(gateway);
    }

    [Fact]
    public async Task Oversized_headers_get_431()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 1, settings: new Dictionary<string, string?>
        {
            ["Limits:MaxRequestHeadersTotalBytes"] = "8192",
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/web/login");
        request.Headers.Add("X-Padding", new string('x', 16 * 1024));

        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Empty(gateway.Nodes[0].Received);
        await AssertStillServingAsync(gateway);
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_without_reaching_a_node()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 1, settings: new Dictionary<string, string?>
        {
            ["Limits:MaxRequestBodyBytes"] = "4096",
        });

        using var response = await gateway.Client.PostAsync("/web/binary/upload_attachment", new ByteArrayContent(new byte[64 * 1024]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(gateway.Nodes[0].Received);
        await AssertStillServingAsync(gateway);
    }

    [Fact]
    public async Task A_body_larger_than_the_retry_buffer_is_still_forwarded_whole()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 1, settings: new Dictionary<string, string?>
        {
            ["Retry:MaxBufferedBodyBytes"] = "1024",
        });
        var body = new string('a', 200_000);

        using var response = await gateway.Client.PostAsync("/web/binary/upload_attachment", new StringContent(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, Assert.Single(gateway.Nodes[0].Received).Body);
    }

    [Fact]
    public async Task A_client_that_never_finishes_its_headers_gets_408_and_is_dropped()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 1, settings: new Dictionary<string, string?>
        {
            ["Limits:RequestHeadersTimeout"] = "00:00:01",
        });

        var answer = await RawHttp.SendAsync(gateway.Address, "GET /web/login HTTP/1.1\r\nHost: odoo\r\nX-Slow: ", TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 408", answer);
        Assert.Empty(gateway.Nodes[0].Received);
        await AssertStillServingAsync(gateway);
    }
}
