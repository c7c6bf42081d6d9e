using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using OdooAspire.Tests.Odoo;

namespace OdooAspire.Tests.Gateway;

/// <summary>
/// Bounded load through the gateway, as logged-in users make it: each worker has its own session and loops over a
/// GET, a read-only call_kw (search_read), a read-only route (get_session_info) and a write (create of a partner
/// with a unique name, so a write executed twice can be counted in the database).
/// </summary>
public sealed class GatewayLoad : IAsyncDisposable
{
    public const string WriteMarkerPrefix = "gateway-load-";

    private readonly List<OdooClient> _clients;
    private readonly ConcurrentQueue<Outcome> _outcomes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];

    private GatewayLoad(List<OdooClient> clients) => _clients = clients;

    public IReadOnlyList<Outcome> Outcomes => [.. _outcomes];

    /// <summary>Logs <paramref name="workers"/> users in through the gateway and starts them.</summary>
    public static async Task<GatewayLoad> StartAsync(Uri gateway, string adminPassword, int workers = 6)
    {
        var clients = Enumerable.Range(0, workers).Select(_ => new OdooClient(gateway)).ToList();
        foreach (var client in clients)
        {
            var answer = await client.AuthenticateAsync(OdooStackFixture.Database, "admin", adminPassword);
            Assert.True(answer["error"] is null, $"admin could not log in through the gateway: {answer["error"]?.ToJsonString()}");
        }

        var load = new GatewayLoad(clients);
        foreach (var client in clients)
        {
            load._workers.Add(Task.Run(() => load.RunAsync(client)));
        }

        return load;
    }

    /// <summary>Waits until <paramref name="count"/> more requests have completed.</summary>
    public Task WaitForMoreAsync(int count, TimeSpan deadline, string what)
    {
        var target = _outcomes.Count + count;
        return Infrastructure.Poll.UntilAsync(() => Task.FromResult(_outcomes.Count), n => n >= target, deadline, what);
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    private async Task RunAsync(OdooClient client)
    {
        var kinds = new[] { Kind.Get, Kind.Read, Kind.SessionInfo, Kind.Write };
        for (var i = Random.Shared.Next(kinds.Length); !_stop.IsCancellationRequested; i++)
        {
            _outcomes.Enqueue(await SendAsync(client, kinds[i % kinds.Length]));
        }
    }

    private static async Task<Outcome> SendAsync(OdooClient client, Kind kind)
    {
        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var marker = kind == Kind.Write ? WriteMarkerPrefix + Guid.NewGuid().ToString("N") : null;
        try
        {
            using var response = kind switch
            {
                Kind.Get => await client.GetAsync("/web/health"),
                Kind.Read => await client.PostAsync("/web/dataset/call_kw/res.partner/search_read", Rpc(new JsonObject
                {
                    ["model"] = "res.partner", ["method"] = "search_read", ["args"] = new JsonArray(new JsonArray(), new JsonArray("name")),
                    ["kwargs"] = new JsonObject { ["limit"] = 5 },
                })),
                Kind.SessionInfo => await client.PostAsync("/web/session/get_session_info", Rpc([])),
                _ => await client.PostAsync("/web/dataset/call_kw/res.partner/create", Rpc(new JsonObject
                {
                    ["model"] = "res.partner", ["method"] = "create", ["args"] = new JsonArray(new JsonObject { ["name"] = marker }), ["kwargs"] = new JsonObject(),
                })),
            };
            var node = response.Headers.TryGetValues("X-OdooAspire-Node", out var nodes) ? nodes.Single() : null;
            string? error = null;
            if (!response.IsSuccessStatusCode)
            {
                error = $"HTTP {(int)response.StatusCode}";
            }
            else if (kind != Kind.Get && (await response.Content.ReadFromJsonAsync<JsonObject>())?["error"] is { } rpcError)
            {
                error = rpcError.ToJsonString();
            }

            return new Outcome(kind, started, clock.Elapsed, (int)response.StatusCode, node, error, marker);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return new Outcome(kind, started, clock.Elapsed, 0, null, ex.Message, marker);
        }
    }

    private static JsonContent Rpc(JsonObject parameters) => JsonContent.Create(new JsonObject
    {
        ["jsonrpc"] = "2.0", ["method"] = "call", ["id"] = Random.Shared.Next(), ["params"] = parameters,
    });

    public enum Kind
    {
        Get,
        Read,
        SessionInfo,
        Write,
    }

    /// <summary>One request as the user saw it; <see cref="Node"/> is the gateway's X-OdooAspire-Node.</summary>
    public sealed record Outcome(Kind Kind, DateTime Started, TimeSpan Duration, int Status, string? Node, string? Error, string? WriteMarker)
    {
        public bool Failed => Error is not null;

        public bool IsRead => Kind != Kind.Write;

        public DateTime Finished => Started + Duration;
    }
}
