using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using OdooAspire.AppHost.Odoo;
using OdooAspire.Odoo;
using OdooAspire.Tests.Infrastructure;
using StackExchange.Redis;

namespace OdooAspire.Tests.Odoo;

[Collection(OdooStackCollection.Name)]
public sealed class SessionTests(OdooStackFixture stack)
{
    [Fact]
    public async Task A_session_created_by_logging_in_on_one_node_is_valid_on_every_other_node()
    {
        using var first = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[0]);
        Assert.NotNull(first.SessionId);

        foreach (var node in OdooStackFixture.Nodes.Skip(1))
        {
            using var other = stack.Client(node);
            other.SessionId = first.SessionId;
            var info = await other.ResultAsync("/web/session/get_session_info", []);
            Assert.Equal(2, info!["uid"]!.GetValue<int>());
            Assert.Equal("admin", info["username"]!.GetValue<string>());
            Assert.Equal(first.SessionId, other.SessionId);
        }
    }

    [Fact]
    public async Task Logging_in_stores_the_session_in_Redis_under_the_shared_key_with_Odoos_7_day_lifetime()
    {
        using var client = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[2]);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(await stack.App.ConnectionStringAsync(ResourceNames.Redis));
        var key = SessionStoreContract.DefaultKeyPrefix + client.SessionId;
        var session = JsonNode.Parse((string)(await redis.GetDatabase().StringGetAsync(key))!)!;
        Assert.Equal(2, session["uid"]!.GetValue<int>());
        Assert.Equal(OdooStackFixture.Database, session["db"]!.GetValue<string>());
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
    }

    [Fact]
    public async Task An_anonymous_websocket_handshake_stores_a_visitors_session_for_an_hour_and_logging_in_from_it_for_7_days()
    {
        var gevent = stack.Gevent(OdooStackFixture.Nodes[1]);
        // Odoo's gevent process may listen a moment after the node's http health check passes.
        using var socket = await Poll.UntilAsync(async () =>
        {
            var handshake = new ClientWebSocket();
            handshake.Options.SetRequestHeader("Origin", $"http://{gevent.Authority}");
            handshake.Options.CollectHttpResponseDetails = true;
            try
            {
                await handshake.ConnectAsync(new Uri($"ws://{gevent.Authority}/websocket"), CancellationToken.None);
                return handshake;
            }
            catch (WebSocketException)
            {
                handshake.Dispose();
                throw;
            }
        }, handshake => handshake.State == WebSocketState.Open, TimeSpan.FromSeconds(60), "a websocket handshake on the gevent port");
        var sid = socket.HttpResponseHeaders!["Set-Cookie"].Select(c => c.Split(';')[0]).Single(c => c.StartsWith("session_id="))["session_id=".Length..];

        await using var redis = await ConnectionMultiplexer.ConnectAsync(await stack.App.ConnectionStringAsync(ResourceNames.Redis));
        var db = redis.GetDatabase();
        var visitor = JsonNode.Parse((string)(await db.StringGetAsync(SessionStoreContract.DefaultKeyPrefix + sid))!)!;
        Assert.Null(visitor["uid"]?.GetValue<int?>());
        var anonymous = TimeSpan.FromSeconds(SessionStoreContract.DefaultAnonymousLifetimeSeconds);
        Assert.InRange((await db.KeyTimeToLiveAsync(SessionStoreContract.DefaultKeyPrefix + sid))!.Value, anonymous - TimeSpan.FromMinutes(1), anonymous);

        using var client = stack.Client(OdooStackFixture.Nodes[1]);
        client.SessionId = sid;
        var answer = await client.AuthenticateAsync(OdooStackFixture.Database, "admin", stack.AdminPassword);
        Assert.True(answer["error"] is null, answer["error"]?.ToJsonString());
        var ttl = await db.KeyTimeToLiveAsync(SessionStoreContract.DefaultKeyPrefix + client.SessionId);
        Assert.InRange(ttl!.Value, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_Odoos_AccessDenied_and_no_session()
    {
        using var client = stack.Client(OdooStackFixture.Nodes[1]);
        var answer = await client.AuthenticateAsync(OdooStackFixture.Database, "admin", "not-" + stack.AdminPassword);

        var error = answer["error"]!;
        Assert.Equal(200, error["code"]!.GetValue<int>());
        Assert.Equal("Odoo Server Error", error["message"]!.GetValue<string>());
        Assert.Equal("odoo.exceptions.AccessDenied", error["data"]!["name"]!.GetValue<string>());

        var info = await client.CallAsync("/web/session/get_session_info", []);
        Assert.Equal(100, info["error"]!["code"]!.GetValue<int>());
        Assert.Equal("odoo.http.SessionExpiredException", info["error"]!["data"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Odoos_default_admin_password_does_not_work()
    {
        using var client = stack.Client(OdooStackFixture.Nodes[0]);
        var answer = await client.AuthenticateAsync(OdooStackFixture.Database, "admin", "admin");

        Assert.Equal("odoo.exceptions.AccessDenied", answer["error"]!["data"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task After_destroy_the_session_is_no_longer_valid_on_any_node()
    {
        using var client = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[0]);
        var loggedIn = client.SessionId;

        await client.ResultAsync("/web/session/destroy", []);

        foreach (var node in OdooStackFixture.Nodes)
        {
            using var other = stack.Client(node);
            other.SessionId = loggedIn;
            var info = await other.CallAsync("/web/session/get_session_info", []);
            Assert.Equal("odoo.http.SessionExpiredException", info["error"]!["data"]!["name"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task The_login_form_carries_a_csrf_token_and_logs_the_user_in_with_a_redirect()
    {
        using var browser = stack.Client(OdooStackFixture.Nodes[1]);
        using var page = await browser.GetWithSessionAsync("/web/login");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var token = System.Text.RegularExpressions.Regex.Match(html, "name=\"csrf_token\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(token);

        using var wrong = await browser.PostAsync("/web/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["csrf_token"] = token, ["login"] = "admin", ["password"] = "wrong",
        }));
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.Contains("Wrong login/password", await wrong.Content.ReadAsStringAsync());

        using var forged = await browser.PostAsync("/web/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["csrf_token"] = "0" + token, ["login"] = "admin", ["password"] = stack.AdminPassword,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);

        using var right = await browser.PostAsync("/web/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["csrf_token"] = token, ["login"] = "admin", ["password"] = stack.AdminPassword, ["redirect"] = "/odoo",
        }));
        Assert.Equal(HttpStatusCode.SeeOther, right.StatusCode);
        var info = await browser.ResultAsync("/web/session/get_session_info", []);
        Assert.Equal(2, info!["uid"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_node_reports_Odoo_18_and_the_stand_in_says_it_is_one()
    {
        using var client = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[0]);
        var version = (await client.ResultAsync("/web/session/get_session_info", []))!["server_version"]!.GetValue<string>();
        Assert.StartsWith("18.0", version);
        Assert.Equal(OdooStackFixture.OdooSource is null, version.Contains("stand-in"));

        using var page = await client.GetWithSessionAsync("/web/login");
        Assert.Equal(OdooStackFixture.OdooSource is null, (await page.Content.ReadAsStringAsync()).Contains("stand-in for an Odoo node, not Odoo"));
    }

    [Fact]
    public async Task Health_answers_pass_and_with_db_server_status_checks_the_primary()
    {
        using var client = stack.Client(OdooStackFixture.Nodes[0]);
        using var plain = await client.GetAsync(OdooCluster.HealthPath);
        Assert.Equal("pass", JsonNode.Parse(await plain.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());

        using var withDb = await client.GetAsync(OdooCluster.HealthPath + "?db_server_status=1");
        var body = JsonNode.Parse(await withDb.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, withDb.StatusCode);
        Assert.True(body["db_server_status"]!.GetValue<bool>());
    }
}
