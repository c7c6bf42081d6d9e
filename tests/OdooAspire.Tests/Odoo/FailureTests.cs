using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OdooAspire.AppHost.Redis;
using OdooAspire.Tests.Infrastructure;
using StackExchange.Redis;

namespace OdooAspire.Tests.Odoo;

/// <summary>Tests that stop parts of the stack, on a stack of their own; each leaves it running again.</summary>
public sealed class FailureTests(OdooStackFixture stack) : IClassFixture<OdooStackFixture>
{
    [Fact]
    public async Task A_user_stays_logged_in_when_the_node_that_served_them_is_stopped()
    {
        using var client = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[0]);
        await StopAsync(OdooStackFixture.Nodes[0]);
        try
        {
            using var survivor = stack.Client(OdooStackFixture.Nodes[1]);
            survivor.SessionId = client.SessionId;
            var info = await survivor.ResultAsync("/web/session/get_session_info", []);
            Assert.Equal(2, info!["uid"]!.GetValue<int>());
        }
        finally
        {
            await StartAsync(OdooStackFixture.Nodes[0]);
        }
    }

    [Fact]
    public async Task With_Redis_stopped_requests_needing_a_session_answer_503_and_the_session_works_again_when_it_is_back()
    {
        using var user = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[0]);
        var loggedIn = user.SessionId;

        await StopAsync(ResourceNames.Redis);
        try
        {
            foreach (var node in OdooStackFixture.Nodes)
            {
                using var client = stack.Client(node);
                client.SessionId = loggedIn;
                using var known = await client.PostAsync("/web/session/get_session_info", Envelope([]));
                Assert.Equal(HttpStatusCode.ServiceUnavailable, known.StatusCode);
                Assert.Contains("Session store unavailable", await known.Content.ReadAsStringAsync());
                Assert.False(known.Headers.Contains("Set-Cookie"), $"{node} handed out a new session while Redis was down");
                Assert.Equal(loggedIn, client.SessionId);

                using var stranger = stack.Client(node);
                using var login = await stranger.PostAsync("/web/session/authenticate", Envelope(new JsonObject
                {
                    ["db"] = OdooStackFixture.Database, ["login"] = "admin", ["password"] = stack.AdminPassword,
                }));
                Assert.Equal(HttpStatusCode.ServiceUnavailable, login.StatusCode);
                Assert.Null(stranger.SessionId);
            }
        }
        finally
        {
            await StartAsync(ResourceNames.Redis);
        }

        using var back = stack.Client(OdooStackFixture.Nodes[1]);
        back.SessionId = loggedIn;
        var info = await Poll.UntilAsync(
            () => back.CallAsync("/web/session/get_session_info", []),
            answer => answer["result"] is not null,
            TimeSpan.FromSeconds(10),
            "the earlier session accepted again once Redis is back");
        Assert.Equal(2, info["result"]!["uid"]!.GetValue<int>());
    }

    [Fact]
    public async Task With_Redis_full_a_new_session_answers_503_saying_so_a_logged_in_user_carries_on_and_the_dashboard_says_Degraded()
    {
        using var user = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[0]);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await stack.App.ConnectionStringAsync(ResourceNames.Redis) + ",allowAdmin=true");
        var server = redis.GetServers()[0];
        var limit = (await server.ConfigGetAsync("maxmemory")).Single().Value;
        var used = long.Parse((await server.InfoAsync("memory")).SelectMany(section => section).Single(field => field.Key == "used_memory").Value);
        // A limit under what the store holds: full, as if visitors had filled it, without writing 256 MB.
        await server.ConfigSetAsync("maxmemory", used / 2);
        try
        {
            foreach (var node in OdooStackFixture.Nodes)
            {
                using var client = stack.Client(node);
                client.SessionId = user.SessionId;
                var count = await client.CallKwAsync("res.partner", "search_count", [new JsonArray()]);
                Assert.True(count["result"] is not null, $"{node}: {count["error"]?.ToJsonString()}");

                using var stranger = stack.Client(node);
                using var login = await stranger.PostAsync("/web/session/authenticate", Envelope(new JsonObject
                {
                    ["db"] = OdooStackFixture.Database, ["login"] = "admin", ["password"] = stack.AdminPassword,
                }));
                Assert.Equal(HttpStatusCode.ServiceUnavailable, login.StatusCode);
                Assert.StartsWith("Session store full", await login.Content.ReadAsStringAsync());
                Assert.Null(stranger.SessionId);
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var degraded = await stack.App.ResourceNotifications.WaitForResourceAsync(ResourceNames.Redis, e => e.Snapshot.HealthStatus == HealthStatus.Degraded, cts.Token);
            Assert.Contains(degraded.Snapshot.HealthReports, report => report.Description?.Contains(SessionStoreExtensions.MaxMemoryKey) == true);
        }
        finally
        {
            await server.ConfigSetAsync("maxmemory", limit);
        }
    }

    private static JsonContent Envelope(JsonObject parameters) =>
        JsonContent.Create(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "call", ["id"] = 1, ["params"] = parameters });

    private async Task StopAsync(string resource)
    {
        var result = await stack.App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand);
        Assert.True(result.Success, $"stop {resource}: {result.Message}");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await stack.App.ResourceNotifications.WaitForResourceAsync(resource, e => e.Snapshot.State?.Text is "Exited" or "Finished", cts.Token);
    }

    private async Task StartAsync(string resource)
    {
        var result = await stack.App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand);
        Assert.True(result.Success, $"start {resource}: {result.Message}");
        await stack.App.WaitHealthyAsync(resource, TimeSpan.FromMinutes(OdooStackFixture.OdooSource is null ? 2 : 5));
    }
}
