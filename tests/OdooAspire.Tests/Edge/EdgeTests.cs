using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using OdooAspire.AppHost.Edge;
using OdooAspire.Tests.Infrastructure;
using OdooAspire.Tests.Odoo;

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
    public async Task Every_request_through_the_edge_reaches_a_node_as_https_from_the_clients_address_whatever_the_client_claimed()
    {
        using var probe = new HttpClient { BaseAddress = stack.Status };

        // The edge keeps idle connections to the gateway and reuses them for any request, including those its own health
        // endpoint opened. A burst of health probes larger than that pool (64 per worker) makes the pool theirs, as in a
        // quiet hour in production; each request after it, on a new connection to whichever worker, must still be trusted.
        for (var i = 0; i < 4; i++)
        {
            var probes = await Task.WhenAll(Enumerable.Range(0, 150).Select(_ => probe.GetAsync(NginxConfRenderer.HealthPath)));
            Assert.All(probes, health => Assert.Equal(HttpStatusCode.OK, health.StatusCode));
            foreach (var health in probes)
            {
                health.Dispose();
            }

            // The client connects from an address of its own: a node can learn it only from the forwarded headers.
            using var client = stack.EdgeClient(from: ClientAddress);
            using var request = new HttpRequestMessage(HttpMethod.Get, StandInDiagnostics.Path);
            request.Headers.Add("X-Forwarded-For", "203.0.113.9");
            request.Headers.Add("X-Forwarded-Proto", "http");
            request.Headers.Add("X-Forwarded-Host", "evil.example");

            using var response = await client.SendAsync(request);
            var seen = await StandInDiagnostics.ReadAsync(response);

            Assert.True(seen.ProxyMode.Applied, $"{seen}");
            Assert.True(
                (seen.ProxyMode.Scheme, seen.ProxyMode.RemoteAddr, seen.ProxyMode.Host) == ("https", ClientAddress.ToString(), $"localhost:{stack.Https.Port}"),
                $"request {i + 1}: {seen}");
            Assert.NotEqual(ClientAddress.ToString(), seen.Arrived.PeerAddress);
            Assert.DoesNotContain("203.0.113.9", seen.Arrived.XForwardedFor);
        }
    }

    [Fact]
    public async Task A_client_that_bypasses_the_edge_cannot_make_a_node_believe_https_or_another_address_or_host()
    {
        using var client = new HttpClient { BaseAddress = stack.App.GetEndpoint(ResourceNames.Gateway, "http") };
        using var request = new HttpRequestMessage(HttpMethod.Get, StandInDiagnostics.Path);
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "evil.example");

        using var response = await client.SendAsync(request);
        var seen = await StandInDiagnostics.ReadAsync(response);

        Assert.Equal("http", seen.ProxyMode.Scheme);
        Assert.NotEqual("203.0.113.9", seen.ProxyMode.RemoteAddr);
        Assert.NotEqual("evil.example", seen.ProxyMode.Host);
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
    public async Task A_repeated_request_for_each_asset_of_the_login_page_is_a_cache_hit_that_reaches_no_node()
    {
        using var client = stack.EdgeClient();
        var (session, assets) = await EdgePages.LoginPageAsync(client);

        foreach (var url in assets.All)
        {
            using var first = await EdgePages.GetAsync(client, url, session);
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            var served = await stack.AssetRequestsServedAsync();

            using var second = await EdgePages.GetAsync(client, url, session);

            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal("HIT", second.Headers.GetValues(NginxConfRenderer.CacheStatusHeader).Single());
            Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
            Assert.Equal(served, await stack.AssetRequestsServedAsync());
        }
    }

    [Fact]
    public async Task A_cached_asset_never_hands_one_visitors_session_cookie_to_another()
    {
        using var client = stack.EdgeClient();
        var (_, assets) = await EdgePages.LoginPageAsync(client);
        // A URL no one has fetched yet; without a cookie, Odoo's asset route starts a session and says so in Set-Cookie,
        // which the edge must either refuse to cache or keep to itself.
        var url = $"{assets.Stylesheet}?visit={Guid.NewGuid():N}";

        using var first = await client.GetAsync(url);
        using var second = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("MISS", first.Headers.GetValues(NginxConfRenderer.CacheStatusHeader).Single());
        Assert.Empty(EdgePages.SessionCookies(second).Intersect(EdgePages.SessionCookies(first)));
        if (second.Headers.GetValues(NginxConfRenderer.CacheStatusHeader).Single() == "HIT")
        {
            Assert.Empty(EdgePages.SessionCookies(second));
        }
    }

    [Fact]
    public async Task A_static_response_odoo_marks_uncacheable_is_fetched_again_every_time()
    {
        // Odoo's nodes never mark a static file no-store, so a test backend answers for them here.
        stack.Probe.Behavior = ServeUncacheableAsync;
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

    private static readonly IPAddress ClientAddress = IPAddress.Parse("127.0.0.3");

    private static async Task ServeUncacheableAsync(Microsoft.AspNetCore.Http.HttpContext context, string body)
    {
        context.Response.Headers.CacheControl = "no-store";
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
        return EdgePages.SessionCookies(response).Single();
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
