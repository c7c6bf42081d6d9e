using System.Net;
using System.Text;
using OdooAspire.Gateway.Resilience;
using OdooAspire.Gateway.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace OdooAspire.Tests.Gateway;

/// <summary>
/// Requests an attacker would send: the database manager by every path and method Odoo would dispatch it on, writes
/// disguised as reads, bodies that break on the way, foreign hosts. None reaches the database manager, none is replayed,
/// no node leaves rotation because of them, and no answer carries a stack trace or the request's headers.
/// </summary>
public sealed class HostileInputTests
{
    private const string DbList = """{"jsonrpc":"2.0","method":"call","params":{"service":"db","method":"list","args":[]}}""";
    private const string Marker = "probe-marker-5f1c";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private static readonly string Node1 = ResourceNames.OdooNode(1);

    public static TheoryData<string, string, string, string> DatabaseManagerVariants()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var method in new[] { "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE", "POST", "PROPFIND" })
        {
            data.Add(method, "/jsonrpc", "application/json", DbList);
        }

        foreach (var path in new[] { "/jsonrpc/", "//jsonrpc", "/JsonRpc", "/json%72pc", "/jsonrpc?service=object", "/./jsonrpc" })
        {
            data.Add("POST", path, "application/json", DbList);
        }

        foreach (var type in new[] { "application/json-rpc", "Application/JSON; charset=utf-8", "text/plain", "application/json, text/plain" })
        {
            data.Add("POST", "/jsonrpc", type, DbList);
        }

        foreach (var body in new[]
        {
            """{"params":{"service":"db","method":"list","args":[NaN]}}""",
            """{"params":{"service":"db","method":"list","args":[-Infinity]}}""",
            """{"params":{"service":"db","method":"list","args":""" + new string('[', 100) + new string(']', 100) + "}}",
            """{"params":{"service":"d\u0062","method":"list","args":[]}}""",
            """{"p\u0061rams":{"s\u0065rvice":"db","method":"list","args":[]}}""",
            """{"params":{"service":"db","method":"list\ud800","args":[]}}""",
            """{"params":{"service":"object"},"params":{"service":"db","method":"list","args":[]}}""",
            "\uFEFF" + DbList,
            DbList + " x",
            DbList + new string(' ', 8192),
        })
        {
            data.Add("POST", "/jsonrpc", "application/json", body);
        }

        foreach (var path in new[]
        {
            "/xmlrpc/db", "/xmlrpc/2/db", "/xmlrpc/2/db/", "/xmlrpc//2/db", "/xmlrpc%2F2%2Fdb", "/XMLRPC/2/DB", "/web/database/list",
            "/web//database/list", "/web%2Fdatabase%2Flist", "/web/database/manager/", "/static/..%2F..%2Fweb/database/drop",
        })
        {
            data.Add("POST", path, "text/xml", "<?xml version='1.0'?><methodCall><methodName>list</methodName></methodCall>");
            data.Add("GET", path, "application/json", DbList);
        }

        return data;
    }

    /// <summary>Retry:MaxBufferedBodyBytes is 4 KiB here so an oversized body is cheap to send.</summary>
    private static Task<InProcessGateway> StartAsync(Dictionary<string, string?>? settings = null)
    {
        settings ??= [];
        settings.TryAdd("Retry:MaxBufferedBodyBytes", "4096");
        return InProcessGateway.StartAsync(nodeCount: 2, settings: settings);
    }

    private static void AssertNothingLeaked(string answer)
    {
        Assert.DoesNotContain("Exception", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", answer, StringComparison.Ordinal);
        Assert.DoesNotContain(".cs:line", answer, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, answer, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(DatabaseManagerVariants))]
    public async Task The_database_manager_is_refused_on_every_path_method_and_body_odoo_would_dispatch_it_on(string method, string path, string contentType, string body)
    {
        await using var gateway = await StartAsync();

        var answer = await RawHttp.ExchangeAsync(gateway.Address, RawHttp.Request(method, path, body, contentType, extraHeaders: $"X-Probe: {Marker}\r\n"), Deadline);

        Assert.Contains(RawHttp.Status(answer), new[] { 400, 403, 413 });
        Assert.All(gateway.Nodes, node => Assert.Empty(node.Received));
        AssertNothingLeaked(answer);
    }

    [Fact]
    public async Task A_chunked_json_rpc_body_too_large_to_read_is_refused_not_passed_on()
    {
        await using var gateway = await StartAsync();
        var padded = DbList + new string(' ', 8192);

        var answer = await RawHttp.ExchangeAsync(gateway.Address, RawHttp.Chunked("POST", "/jsonrpc", $"{padded.Length:X}\r\n{padded}\r\n0\r\n\r\n"), Deadline);

        Assert.Equal(413, RawHttp.Status(answer));
        Assert.All(gateway.Nodes, node => Assert.Empty(node.Received));
    }

    [Fact]
    public async Task Json_rpc_calls_of_other_services_still_reach_odoo()
    {
        await using var gateway = await StartAsync();
        const string Version = """{"jsonrpc":"2.0","method":"call","params":{"service":"common","method":"version","args":[]}}""";

        var answer = await RawHttp.ExchangeAsync(gateway.Address, RawHttp.Request("POST", "/jsonrpc", Version), Deadline);

        Assert.Equal(200, RawHttp.Status(answer));
        Assert.Equal(1, gateway.Nodes.Sum(node => node.Count("/jsonrpc")));
    }

    [Fact]
    public async Task With_every_buffer_in_use_json_rpc_gets_503_and_other_requests_stream_through()
    {
        await using var gateway = await StartAsync(new() { ["Limits:MaxBufferedBytesTotal"] = "0" });

        var jsonRpc = await RawHttp.ExchangeAsync(gateway.Address, RawHttp.Request("POST", "/jsonrpc", DbList), Deadline);
        using var write = await gateway.Client.SendAsync(JsonRpc.Write());

        Assert.Equal(503, RawHttp.Status(jsonRpc));
        Assert.Equal(HttpStatusCode.OK, write.StatusCode);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("OPTIONS")]
    [InlineData("DELETE")]
    public async Task A_write_sent_with_a_read_method_is_never_hedged_or_replayed(string method)
    {
        // odoo-1 first and slow: a request the gateway took for a read would be hedged to odoo-2 after 100 ms.
        await using var gateway = await StartAsync(new()
        {
            [$"Weights:{Node1}"] = "1000000",
            ["HealthChecks:Interval"] = "01:00:00",
            ["Retry:HedgingDelay"] = "00:00:00.100",
        });
        gateway[Node1].Behavior = async (context, _) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(800));
            await context.Response.WriteAsync("done");
        };

        async Task<int> ReceivedAsync(string modelMethod)
        {
            var path = $"{JsonRpc.CallKwPath}/res.partner/{modelMethod}";
            var body = $$$$"""{"jsonrpc":"2.0","method":"call","params":{"model":"res.partner","method":"{{{{modelMethod}}}}","args":[{"name":"x"}],"kwargs":{}}}""";
            var answer = await RawHttp.ExchangeAsync(gateway.Address, RawHttp.Request(method, path, body), Deadline);
            Assert.Equal(200, RawHttp.Status(answer));
            return gateway.Nodes.Sum(node => node.Count(path));
        }

        Assert.Equal(1, await ReceivedAsync("create"));
        // The same request carrying a read is hedged: the check above can fail.
        Assert.Equal(2, await ReceivedAsync("search_read"));
    }

    public static TheoryData<string, int> BrokenBodies => new()
    {
        // A valid first chunk larger than the buffer, then a chunk size that is not hexadecimal.
        { "1400\r\n" + new string('a', 0x1400) + "\r\nzz\r\n", 400 },
        // A chunk size that overflows 64 bits.
        { "1400\r\n" + new string('a', 0x1400) + "\r\nFFFFFFFFFFFFFFFFFF\r\n", 400 },
        { "FFFFFFFFFFFFFFFFFF\r\n", 400 },
        // More than Limits:MaxRequestBodyBytes, without a Content-Length to refuse it by.
        { string.Concat(Enumerable.Repeat("1000\r\n" + new string('b', 0x1000) + "\r\n", 40)) + "0\r\n\r\n", 413 },
    };

    [Theory]
    [MemberData(nameof(BrokenBodies))]
    public async Task A_client_whose_body_breaks_gets_4xx_and_no_node_leaves_rotation(string chunks, int status)
    {
        await using var gateway = await StartAsync(new()
        {
            ["Limits:MaxRequestBodyBytes"] = "65536",
            ["HealthChecks:PassiveReactivation"] = "00:01:00",
        });

        for (var i = 0; i < 6; i++)
        {
            var answer = await RawHttp.ExchangeAsync(gateway.Address, RawHttp.Chunked("POST", "/web/binary/upload_attachment", chunks), Deadline);
            Assert.Equal(status, RawHttp.Status(answer));
            AssertNothingLeaked(answer);
        }

        Assert.All(gateway.Nodes, node =>
        {
            var status = gateway.Node(node.Name);
            Assert.Equal("up", status.State);
            Assert.Equal(0, status.Failed);
        });
        using var response = await gateway.Client.GetAsync("/web/login");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_lone_surrogate_in_a_method_name_is_forwarded_as_a_write_not_a_500()
    {
        await using var gateway = await StartAsync();
        const string Body = """{"jsonrpc":"2.0","method":"call","params":{"model":"res.partner","method":"read\ud800","args":[]}}""";

        var answer = await RawHttp.ExchangeAsync(gateway.Address, RawHttp.Request("POST", "/web/dataset/call_kw", Body, extraHeaders: $"X-Probe: {Marker}\r\n"), Deadline);

        Assert.Equal(200, RawHttp.Status(answer));
        AssertNothingLeaked(answer);
    }

    [Fact]
    public async Task A_large_chunked_upload_streams_holding_no_more_than_the_buffer_limit()
    {
        await using var gateway = await StartAsync();
        var budget = gateway.Services.GetRequiredService<BufferBudget>();
        var total = budget.Available;
        var body = new string('u', 3 * 1024 * 1024);

        var answer = await RawHttp.ExchangeAsync(gateway.Address, RawHttp.Chunked("POST", "/web/binary/upload_attachment", $"{body.Length:X}\r\n{body}\r\n0\r\n\r\n"), Deadline);

        Assert.Equal(200, RawHttp.Status(answer));
        Assert.Equal(body, Assert.Single(gateway.Nodes.SelectMany(node => node.Received)).Body);
        Assert.Equal(total, budget.Available);
    }

    [Theory]
    [InlineData("evil.example", 421)]
    [InlineData("shop.example.com", 200)]
    [InlineData("shop.example.com:8443", 200)]
    [InlineData("a.example.org", 200)]
    [InlineData("example.org", 421)]
    [InlineData("localhost", 200)]
    [InlineData("127.0.0.1:1234", 200)]
    [InlineData("shop.example.com.evil.example", 421)]
    public async Task Only_allowed_hosts_reach_odoo(string host, int status)
    {
        await using var gateway = await StartAsync(new() { ["AllowedHosts"] = "shop.example.com; *.example.org" });

        var answer = await RawHttp.ExchangeAsync(gateway.Address, Encoding.ASCII.GetBytes($"GET /web/login HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"), Deadline);

        Assert.Equal(status, RawHttp.Status(answer));
        Assert.Equal(status == 200 ? 1 : 0, gateway.Nodes.Sum(node => node.Received.Count));
        if (status != 200)
        {
            Assert.Contains(HostAllowList.Message, answer, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("HTTP/1.1\r\nHost: ")]
    [InlineData("HTTP/1.0\r\nX-None: ")]
    public async Task A_request_without_a_host_never_reaches_odoo(string start)
    {
        await using var gateway = await StartAsync();

        var answer = await RawHttp.ExchangeAsync(gateway.Address, Encoding.ASCII.GetBytes($"GET /web/login {start}\r\nConnection: close\r\n\r\n"), Deadline);

        Assert.NotEqual(200, RawHttp.Status(answer));
        Assert.All(gateway.Nodes, node => Assert.Empty(node.Received));
    }

    [Fact]
    public async Task A_foreign_host_through_a_trusted_edge_is_refused_too()
    {
        await using var gateway = await StartAsync(new() { ["TrustedEdges:0"] = "127.0.0.1" });

        var answer = await RawHttp.ExchangeAsync(gateway.Address, Encoding.ASCII.GetBytes(
            "GET /web/login HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n"), Deadline);

        Assert.Equal(421, RawHttp.Status(answer));
        Assert.All(gateway.Nodes, node => Assert.Empty(node.Received));
    }

    [Fact]
    public async Task An_absolute_form_target_cannot_smuggle_a_foreign_host()
    {
        await using var gateway = await StartAsync();

        var answer = await RawHttp.ExchangeAsync(gateway.Address, Encoding.ASCII.GetBytes(
            "GET http://evil.example/web/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"), Deadline);

        Assert.NotEqual(200, RawHttp.Status(answer));
        Assert.All(gateway.Nodes, node => Assert.Empty(node.Received));
    }
}
