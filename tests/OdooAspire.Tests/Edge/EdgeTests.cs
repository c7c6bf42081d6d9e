using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using OdooAspire.AppHost.Edge;
using OdooAspire.Tests.Gateway;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Edge;

/// <summary>What a browser notices with nginx in front of the gateway: HTTPS, the redirect, the cache, the websocket, a node dying.</summary>
[Collection(EdgeStackCollection.Name)]
public sealed class EdgeTests(EdgeStackFixture stack)
{
    [Fact]
    public async Task Https_through_the_edge_reaches_a_node_over_http2_and_a_user_can_log_in()
    {
        using var client = stack.EdgeClient(http2: true);

        using var health = await client.GetAsync("/web/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpVersion.Version20, health.Version);
        Assert.Contains(health.Headers.GetValues("X-OdooAspire-Node").Single(), EdgeStackFixture.Nodes);

        var session = await AuthenticateAsync(client);
        Assert.False(string.IsNullOrEmpty(session));
    }

    [Fact]
    public async Task Behind_the_gateway_a_request_through_the_edge_carries_https_and_the_clients_address_whatever_the_client_claimed()
    {
        // The probe echoes what it received unless a static-file test left its own behaviour.
        stack.Probe.Behavior = null;
        using var client = stack.EdgeClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{EdgeStackFixture.ProbePrefix}/who");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        request.Headers.Add("X-Forwarded-Proto", "http");
        request.Headers.Add("X-Forwarded-Host", "evil.example");

        using var response = await client.SendAsync(request);
        var echo = await TestBackend.Echo.ReadAsync(response);

        Assert.Equal("https", echo.ForwardedProto);
        Assert.Equal("127.0.0.1", echo.ForwardedFor);
        Assert.Equal($"localhost:{stack.Https.Port}", echo.ForwardedHost);
    }

    [Fact]
    public async Task A_client_that_bypasses_the_edge_cannot_claim_https_or_another_address_at_the_gateway()
    {
        // The probe echoes what it received unless a static-file test left its own behaviour.
        stack.Probe.Behavior = null;
        using var client = new HttpClient { BaseAddress = stack.App.GetEndpoint(ResourceNames.Gateway, "http") };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{EdgeStackFixture.ProbePrefix}/who");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        request.Headers.Add("X-Forwarded-Proto", "https");

        using var response = await client.SendAsync(request);
        var echo = await TestBackend.Echo.ReadAsync(response);

        Assert.Equal("http", echo.ForwardedProto);
        Assert.DoesNotContain("203.0.113.9", echo.ForwardedFor);
    }

    [Fact]
    public async Task Plain_http_gets_a_permanent_redirect_to_the_same_page_on_https()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = stack.Http };

        using var response = await client.GetAsync("/web/login?redirect=%2Fodoo");

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal(new Uri($"https://localhost:{stack.Https.Port}/web/login?redirect=%2Fodoo"), response.Headers.Location);
    }

    [Fact]
    public async Task Pages_are_compressed_for_browsers_that_accept_gzip()
    {
        using var client = stack.EdgeClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/web/login");
        request.Headers.AcceptEncoding.ParseAdd("gzip");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
    }

    [Fact]
    public async Task A_second_request_for_a_static_file_is_a_cache_hit_that_never_goes_behind_the_edge()
    {
        stack.Probe.Behavior = ServeStaticAsync;
        var path = $"{EdgeStackFixture.ProbeStaticPrefix}/cached/{Guid.NewGuid():N}.js";
        using var client = stack.EdgeClient();

        using var first = await client.GetAsync(path);
        using var second = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("MISS", first.Headers.GetValues(NginxConfRenderer.CacheStatusHeader).Single());
        Assert.Equal("HIT", second.Headers.GetValues(NginxConfRenderer.CacheStatusHeader).Single());
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(1, stack.Probe.Count(path));
    }

    [Fact]
    public async Task A_static_response_odoo_marks_uncacheable_is_fetched_again_every_time()
    {
        stack.Probe.Behavior = ServeStaticAsync;
        var path = $"{EdgeStackFixture.ProbeStaticPrefix}/private/{Guid.NewGuid():N}.js";
        using var client = stack.EdgeClient();

        using var first = await client.GetAsync(path);
        using var second = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.NotEqual("HIT", second.Headers.GetValues(NginxConfRenderer.CacheStatusHeader).Single());
        Assert.Equal(2, stack.Probe.Count(path));
    }

    [Fact]
    public async Task The_websocket_works_through_the_edge_and_the_gateway()
    {
        using var client = stack.EdgeClient();
        var session = await AuthenticateAsync(client);
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Cookie", $"session_id={session}");
        // Browsers always send Origin; Odoo refuses a handshake without one.
        socket.Options.SetRequestHeader("Origin", $"https://localhost:{stack.Https.Port}");
        socket.Options.RemoteCertificateValidationCallback = EdgeStackFixture.AcceptsDevelopmentCertificate;
        await socket.ConnectAsync(new Uri($"wss://localhost:{stack.Https.Port}/websocket"), CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["event_name"] = "subscribe",
            ["data"] = new JsonObject { ["channels"] = new JsonArray("odoo-presence-res.partner_3"), ["last"] = 0 },
        }.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

        // The admin goes away, then comes back: the bus tells the websocket, across whichever nodes served each call.
        await RpcAsync(client, session, "/websocket/peek_notifications", new JsonObject { ["channels"] = new JsonArray(), ["last"] = 0, ["is_first_poll"] = true });
        foreach (var inactivity in new[] { 31 * 60 * 1000, 0 })
        {
            await RpcAsync(client, session, "/websocket/update_bus_presence", new JsonObject { ["inactivity_period"] = inactivity, ["im_status_ids_by_model"] = new JsonObject() });
        }

        await BusSocket.ReceiveAsync(socket, BusSocket.PresenceUpdated, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Killing_a_node_under_load_through_the_edge_fails_no_request()
    {
        using var client = stack.EdgeClient();
        var session = await AuthenticateAsync(client);
        var victim = EdgeStackFixture.Nodes[1];
        var succeeded = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();

        async Task WorkerAsync()
        {
            // Bounded: at most 400 calls per worker, and the run ends a few seconds after the kill.
            for (var i = 0; i < 400 && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    var answer = await RpcAsync(client, session, "/web/dataset/call_kw", new JsonObject
                    {
                        ["model"] = "res.partner", ["method"] = "search_count", ["args"] = new JsonArray(new JsonArray()), ["kwargs"] = new JsonObject(),
                    });
                    if (answer["error"] is not null)
                    {
                        failures.Enqueue(answer["error"]!.ToJsonString());
                    }
                    else
                    {
                        Interlocked.Increment(ref succeeded);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or Xunit.Sdk.XunitException)
                {
                    failures.Enqueue(ex.Message);
                }
            }
        }

        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(WorkerAsync)).ToList();
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref succeeded)), n => n >= 50, TimeSpan.FromSeconds(30), "50 calls through the edge before the kill");
        await stack.App.ResourceCommands.ExecuteCommandAsync(victim, KnownResourceCommands.StopCommand);
        var atKill = Volatile.Read(ref succeeded);
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref succeeded)), n => n >= atKill + 200, TimeSpan.FromSeconds(60), "200 more calls after the kill");
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        try
        {
            Assert.Empty(failures);
        }
        finally
        {
            await stack.App.ResourceCommands.ExecuteCommandAsync(victim, KnownResourceCommands.StartCommand);
            await stack.App.WaitHealthyAsync(victim);
        }
    }

    /// <summary>Odoo serves static files with a week-long public lifetime; a response it marks no-store must not be kept.</summary>
    private static async Task ServeStaticAsync(Microsoft.AspNetCore.Http.HttpContext context, string body)
    {
        context.Response.Headers.CacheControl = context.Request.Path.Value!.Contains("/cached/", StringComparison.Ordinal)
            ? "public, max-age=604800"
            : "no-store";
        context.Response.ContentType = "application/javascript";
        await Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(context.Response, $"/* served {Guid.NewGuid():N} */");
    }

    private async Task<string> AuthenticateAsync(HttpClient client)
    {
        using var response = await client.PostAsJsonAsync("/web/session/authenticate", Envelope(new JsonObject
        {
            ["db"] = EdgeStackFixture.Database, ["login"] = "admin", ["password"] = stack.AdminPassword,
        }));
        var answer = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(answer["error"] is null, answer["error"]?.ToJsonString());
        var cookie = response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).Single(c => c.StartsWith("session_id=", StringComparison.Ordinal));
        return cookie["session_id=".Length..];
    }

    private static async Task<JsonObject> RpcAsync(HttpClient client, string session, string path, JsonObject parameters)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(Envelope(parameters)) };
        request.Headers.Add("Cookie", $"session_id={session}");
        using var response = await client.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new Xunit.Sdk.XunitException($"{path} answered {(int)response.StatusCode}");
        }

        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static JsonObject Envelope(JsonObject parameters) =>
        new() { ["jsonrpc"] = "2.0", ["method"] = "call", ["id"] = Random.Shared.Next(), ["params"] = parameters };
}
