using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace OdooAspire.Tests.Odoo;

/// <summary>A JSON-RPC client of one Odoo node, carrying a session_id cookie like a browser does.</summary>
public sealed class OdooClient(Uri node) : IDisposable
{
    private readonly HttpClient _http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false })
    {
        BaseAddress = node,
        Timeout = TimeSpan.FromSeconds(30),
    };

    public string? SessionId { get; set; }

    /// <summary>Posts a JSON-RPC call and returns the raw answer; the session cookie follows whatever the node sets.</summary>
    public async Task<HttpResponseMessage> PostAsync(string path, HttpContent content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (SessionId is not null)
        {
            request.Headers.Add("Cookie", $"session_id={SessionId}");
        }

        var response = await _http.SendAsync(request);
        Remember(response);
        return response;
    }

    private void Remember(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("Set-Cookie", out var cookies)
            && cookies.Select(c => c.Split(';')[0]).FirstOrDefault(c => c.StartsWith("session_id=")) is { } cookie)
        {
            SessionId = cookie["session_id=".Length..];
        }
    }

    /// <summary>The JSON-RPC envelope of a call to <paramref name="path"/>.</summary>
    public async Task<JsonObject> CallAsync(string path, JsonObject parameters)
    {
        using var response = await PostAsync(path, JsonContent.Create(new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["method"] = "call",
            ["id"] = Random.Shared.Next(),
            ["params"] = parameters,
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    /// <summary>The result of a call, failing the test with Odoo's error when there is one.</summary>
    public async Task<JsonNode?> ResultAsync(string path, JsonObject parameters)
    {
        var envelope = await CallAsync(path, parameters);
        Assert.True(envelope["error"] is null, $"{path} answered an error: {envelope["error"]?.ToJsonString()}");
        return envelope["result"];
    }

    public Task<JsonObject> AuthenticateAsync(string database, string login, string password) =>
        CallAsync("/web/session/authenticate", new JsonObject { ["db"] = database, ["login"] = login, ["password"] = password });

    public Task<JsonObject> CallKwAsync(string model, string method, JsonArray args, JsonObject? kwargs = null) =>
        CallAsync("/web/dataset/call_kw", new JsonObject { ["model"] = model, ["method"] = method, ["args"] = args, ["kwargs"] = kwargs ?? [] });

    public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

    /// <summary>A GET that sends and keeps the session cookie, as a browser loading a page.</summary>
    public async Task<HttpResponseMessage> GetWithSessionAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return await SendWithSessionAsync(request);
    }

    /// <summary>Sends <paramref name="request"/> with the session cookie and keeps whatever session the node sets.</summary>
    public async Task<HttpResponseMessage> SendWithSessionAsync(HttpRequestMessage request)
    {
        if (SessionId is not null)
        {
            request.Headers.Add("Cookie", $"session_id={SessionId}");
        }

        var response = await _http.SendAsync(request);
        Remember(response);
        return response;
    }

    public void Dispose() => _http.Dispose();
}
