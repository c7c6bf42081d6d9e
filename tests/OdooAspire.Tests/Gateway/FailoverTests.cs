using System.Net;
using Microsoft.AspNetCore.Http;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Gateway;

/// <summary>
/// Retry and hedging decisions, checked against real sockets: which failures are retried, for which requests, and
/// that a write that reached a node is never sent again. odoo-1 gets a huge weight so it is always tried first.
/// </summary>
public sealed class FailoverTests
{
    private static readonly string Node1 = ResourceNames.OdooNode(1);

    /// <summary>odoo-1 first; the active probe effectively off and passive ejection long, so only the behaviour under test acts.</summary>
    private static Dictionary<string, string?> Node1First(string hedgingDelay = "00:00:01") => new()
    {
        [$"Weights:{Node1}"] = "1000000",
        ["HealthChecks:Interval"] = "01:00:00",
        ["HealthChecks:PassiveReactivation"] = "00:01:00",
        ["Retry:HedgingDelay"] = hedgingDelay,
    };

    private static string? ServedBy(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-OdooAspire-Node", out var values) ? values.Single() : null;

    [Fact]
    public async Task A_write_goes_to_another_node_when_the_chosen_node_refuses_the_connection()
    {
        await using var gateway = await InProcessGateway.StartAsync(settings: Node1First());
        await gateway[Node1].StopAsync();

        using var response = await gateway.Client.SendAsync(JsonRpc.Write());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(Node1, ServedBy(response));
        Assert.Equal(1, gateway.Nodes.Sum(n => n.Count(JsonRpc.CallKwPath + "/res.partner/write")));
    }

    [Fact]
    public async Task An_upload_too_large_to_buffer_goes_whole_to_another_node_when_the_chosen_node_refuses_the_connection()
    {
        var settings = Node1First();
        settings["Retry:MaxBufferedBodyBytes"] = "1024";
        await using var gateway = await InProcessGateway.StartAsync(settings: settings);
        await gateway[Node1].StopAsync();
        var body = new string('u', 200_000);

        using var response = await gateway.Client.PostAsync("/web/binary/upload_attachment", new StringContent(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, (await TestBackend.Echo.ReadAsync(response)).Body);
    }

    [Fact]
    public async Task A_node_that_refused_a_connection_gets_no_further_requests()
    {
        await using var gateway = await InProcessGateway.StartAsync(settings: Node1First());
        await gateway[Node1].StopAsync();

        for (var i = 0; i < 20; i++)
        {
            using var response = await gateway.Client.GetAsync("/odoo/action-contacts");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var node1 = gateway.Node(Node1);
        Assert.Equal("down", node1.State);
        Assert.Equal(1, node1.Failed);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_write_that_reached_a_node_which_then_died_is_not_replayed_and_the_client_gets_502(bool pooledConnection)
    {
        await using var gateway = await InProcessGateway.StartAsync(settings: Node1First());
        if (pooledConnection)
        {
            // A kept-alive connection is where HttpClient itself would resend; the write must still not run twice.
            using var warmUp = await gateway.Client.GetAsync("/web/login");
            Assert.Equal(Node1, ServedBy(warmUp));
        }

        gateway[Node1].Behavior = (context, _) =>
        {
            context.Abort();
            return Task.CompletedTask;
        };

        using var response = await gateway.Client.SendAsync(JsonRpc.Write());

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(1, gateway.Nodes.Sum(n => n.Count(JsonRpc.CallKwPath + "/res.partner/write")));
    }

    [Fact]
    public async Task Each_write_goes_on_a_connection_of_its_own_while_reads_share_a_pooled_one()
    {
        // A node closing an idle pooled connection (as it does when it stops) would cut off a write sent on it at that
        // moment: a write the node never read, which the gateway may not replay. On a fresh connection that cannot happen.
        await using var gateway = await InProcessGateway.StartAsync(settings: Node1First());
        var connections = new System.Collections.Concurrent.ConcurrentQueue<(bool Write, string Connection)>();
        gateway[Node1].Behavior = async (context, body) =>
        {
            connections.Enqueue((body.Contains("\"write\"", StringComparison.Ordinal), context.Connection.Id));
            await context.Response.WriteAsync("""{"jsonrpc":"2.0","id":1,"result":true}""");
        };

        for (var i = 0; i < 3; i++)
        {
            using var read = await gateway.Client.SendAsync(JsonRpc.SearchRead());
            using var write = await gateway.Client.SendAsync(JsonRpc.Write());
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (read.StatusCode, write.StatusCode));
        }

        var writes = connections.Where(c => c.Write).Select(c => c.Connection).ToList();
        var reads = connections.Where(c => !c.Write).Select(c => c.Connection).ToList();
        Assert.Equal(3, writes.Distinct().Count());
        Assert.Single(reads.Distinct());
        Assert.Empty(writes.Intersect(reads));
    }

    [Fact]
    public async Task A_bodiless_post_that_reached_a_node_which_then_died_is_not_replayed()
    {
        await using var gateway = await InProcessGateway.StartAsync(settings: Node1First());
        gateway[Node1].Behavior = (context, _) =>
        {
            context.Abort();
            return Task.CompletedTask;
        };

        using var response = await gateway.Client.PostAsync("/web/session/logout", content: null);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(1, gateway.Nodes.Sum(n => n.Count("/web/session/logout")));
    }

    [Fact]
    public async Task A_read_only_call_that_reached_a_dying_node_is_answered_by_another_node()
    {
        await using var gateway = await InProcessGateway.StartAsync(settings: Node1First());
        gateway[Node1].Behavior = (context, _) =>
        {
            context.Abort();
            return Task.CompletedTask;
        };

        using var response = await gateway.Client.SendAsync(JsonRpc.SearchRead());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(Node1, ServedBy(response));
        Assert.Equal(1, gateway[Node1].Count(JsonRpc.CallKwPath + "/res.partner/search_read"));
    }

    [Fact]
    public async Task A_read_waiting_on_a_frozen_node_is_answered_by_another_node_after_the_hedging_delay()
    {
        await using var gateway = await InProcessGateway.StartAsync(settings: Node1First(hedgingDelay: "00:00:00.200"));
        gateway[Node1].Freeze();
        using var client = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(5) };

        using var get = await client.GetAsync("/odoo/action-contacts");
        using var read = await client.SendAsync(JsonRpc.SearchRead());

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.NotEqual(Node1, ServedBy(get));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.NotEqual(Node1, ServedBy(read));
        Assert.True(gateway.Nodes.Sum(n => gateway.Node(n.Name).Retried) >= 2);
    }

    [Fact]
    public async Task A_write_waiting_on_a_frozen_node_is_not_hedged_and_completes_there_once_the_node_resumes()
    {
        await using var gateway = await InProcessGateway.StartAsync(settings: Node1First(hedgingDelay: "00:00:00.100"));
        gateway[Node1].Freeze();

        var write = gateway.Client.SendAsync(JsonRpc.Write());
        await gateway.WaitUntilAsync(n => n.InFlight == 1, [Node1], TimeSpan.FromSeconds(5), "the write waiting on odoo-1");
        // A read sent after the write is hedged after 100 ms; once it has been answered the write's own delay is long past.
        using var read = await gateway.Client.SendAsync(JsonRpc.SearchRead());
        Assert.NotEqual(Node1, ServedBy(read));
        Assert.Equal(0, gateway.Nodes.Sum(n => n.Count(JsonRpc.CallKwPath + "/res.partner/write")));

        gateway[Node1].Thaw();
        using var response = await write;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Node1, ServedBy(response));
        Assert.Equal(1, gateway.Nodes.Sum(n => n.Count(JsonRpc.CallKwPath + "/res.partner/write")));
    }

    /// <summary>odoo-1, then odoo-2, then odoo-3: each retry or hedge goes to the heaviest node not tried yet.</summary>
    private static Dictionary<string, string?> InNodeOrder(string hedgingDelay)
    {
        var settings = Node1First(hedgingDelay);
        settings[$"Weights:{Node1}"] = "1000000000000";
        settings[$"Weights:{ResourceNames.OdooNode(2)}"] = "1000000";
        return settings;
    }

    [Fact]
    public async Task A_read_answered_within_the_hedging_delay_reaches_only_one_node()
    {
        await using var gateway = await InProcessGateway.StartAsync(settings: Node1First(hedgingDelay: "00:00:02"));
        gateway[Node1].Behavior = async (context, _) =>
        {
            // Slow, but well within the delay: no other node is bothered.
            await Task.Delay(TimeSpan.FromMilliseconds(300), context.RequestAborted);
            await context.Response.WriteAsync("slow but fine");
        };

        using var response = await gateway.Client.SendAsync(JsonRpc.SearchRead());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Node1, ServedBy(response));
        Assert.Equal(1, gateway.Nodes.Sum(n => n.Count(JsonRpc.CallKwPath + "/res.partner/search_read")));
        Assert.All(gateway.Nodes, n => Assert.Equal(0, gateway.Node(n.Name).Retried));
    }

    [Fact]
    public async Task A_frozen_node_that_answers_after_its_read_was_hedged_still_wins_when_the_hedge_is_stuck_too()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 2, settings: InNodeOrder(hedgingDelay: "00:00:00.100"));
        var node2 = ResourceNames.OdooNode(2);
        gateway[node2].Freeze();
        gateway[Node1].Behavior = async (context, _) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), context.RequestAborted);
            await context.Response.WriteAsync("late answer");
        };

        using var response = await gateway.Client.SendAsync(JsonRpc.SearchRead());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Node1, ServedBy(response));
        Assert.Equal("late answer", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, gateway.Node(node2).Retried);
        // The losing hedge on the frozen node is cancelled, not left waiting.
        await gateway.WaitUntilAsync(n => n.InFlight == 0, [node2], TimeSpan.FromSeconds(5), "the hedge on odoo-2 cancelled");
    }

    [Fact]
    public async Task A_read_hedged_away_from_a_frozen_node_onto_a_refusing_one_is_answered_by_a_third()
    {
        await using var gateway = await InProcessGateway.StartAsync(settings: InNodeOrder(hedgingDelay: "00:00:00.200"));
        gateway[Node1].Freeze();
        await gateway[ResourceNames.OdooNode(2)].StopAsync();

        using var response = await gateway.Client.SendAsync(JsonRpc.SearchRead());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ResourceNames.OdooNode(3), ServedBy(response));
        Assert.Equal(1, gateway.Node(ResourceNames.OdooNode(2)).Failed);
    }

    [Fact]
    public async Task A_read_refused_by_its_first_node_and_retried_on_a_frozen_one_is_hedged_to_a_third()
    {
        await using var gateway = await InProcessGateway.StartAsync(settings: InNodeOrder(hedgingDelay: "00:00:00.200"));
        await gateway[Node1].StopAsync();
        gateway[ResourceNames.OdooNode(2)].Freeze();

        using var response = await gateway.Client.SendAsync(JsonRpc.SearchRead());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ResourceNames.OdooNode(3), ServedBy(response));
        Assert.Equal(1, gateway.Node(ResourceNames.OdooNode(2)).Retried);
    }

    [Fact]
    public async Task A_write_is_tried_on_no_more_nodes_than_the_configured_attempts()
    {
        var settings = InNodeOrder(hedgingDelay: "00:00:01");
        settings["Retry:MaxAttempts"] = "2";
        await using var gateway = await InProcessGateway.StartAsync(settings: settings);
        await gateway[Node1].StopAsync();
        await gateway[ResourceNames.OdooNode(2)].StopAsync();

        using var response = await gateway.Client.SendAsync(JsonRpc.Write());

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(0, gateway[ResourceNames.OdooNode(3)].Count(JsonRpc.CallKwPath + "/res.partner/write"));
    }

    [Fact]
    public async Task A_frozen_node_is_out_of_rotation_within_two_seconds_and_back_after_it_resumes()
    {
        await using var gateway = await InProcessGateway.StartAsync();
        var node2 = ResourceNames.OdooNode(2);

        gateway[node2].Freeze();
        await gateway.WaitUntilAsync(n => n.State == "down", [node2], TimeSpan.FromSeconds(2), "frozen odoo-2 marked down");

        gateway[node2].Thaw();
        await gateway.WaitUntilAsync(n => n.State == "up", [node2], TimeSpan.FromSeconds(2), "odoo-2 back up");
    }

    [Fact]
    public async Task A_node_failing_its_health_check_gets_no_traffic_and_gets_it_back_once_healthy()
    {
        await using var gateway = await InProcessGateway.StartAsync();
        var node3 = ResourceNames.OdooNode(3);

        gateway[node3].Healthy = false;
        await gateway.WaitUntilAsync(n => n.State == "down", [node3], TimeSpan.FromSeconds(2), "odoo-3 marked down");
        var before = gateway[node3].Received.Count;
        for (var i = 0; i < 30; i++)
        {
            using var response = await gateway.Client.GetAsync("/odoo");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(before, gateway[node3].Received.Count);

        gateway[node3].Healthy = true;
        await gateway.WaitUntilAsync(n => n.State == "up", [node3], TimeSpan.FromSeconds(2), "odoo-3 back up");
        await Poll.UntilAsync(
            async () =>
            {
                using var response = await gateway.Client.GetAsync("/odoo");
                return ServedBy(response);
            },
            node => node == node3,
            TimeSpan.FromSeconds(5),
            "a request served by odoo-3 again");
    }

    [Fact]
    public async Task A_large_download_arrives_whole_through_the_hedging_pipeline()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 2);
        var file = new byte[8 * 1024 * 1024];
        Random.Shared.NextBytes(file);
        foreach (var node in gateway.Nodes)
        {
            node.Behavior = async (context, _) =>
            {
                // Sent in slices, so the body is still streaming long after the node's answer won the pipeline.
                for (var offset = 0; offset < file.Length; offset += 256 * 1024)
                {
                    await context.Response.Body.WriteAsync(file.AsMemory(offset, 256 * 1024));
                    await context.Response.Body.FlushAsync();
                }
            };
        }

        var downloaded = await gateway.Client.GetByteArrayAsync("/web/content/42");

        Assert.Equal(file, downloaded);
    }

    [Fact]
    public async Task Health_probes_send_a_host_header_because_odoo_18_answers_500_without_one()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 2);

        Assert.All(gateway.Nodes, node => Assert.Equal(node.Address.Authority, node.LastProbeHost));
    }

    [Fact]
    public async Task A_request_gets_502_when_every_node_refuses_it()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 2, settings: Node1First());
        foreach (var node in gateway.Nodes)
        {
            await node.StopAsync();
        }

        using var response = await gateway.Client.SendAsync(JsonRpc.Write());

        Assert.Equal(StatusCodes.Status502BadGateway, (int)response.StatusCode);
    }
}
