using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OdooAspire.ReplicaRouter;
using OdooAspire.ReplicaRouter.Backends;
using OdooAspire.ReplicaRouter.Proxy;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>
/// The pre-connected sockets the router keeps per backend, against a loopback listener that plays the part of
/// PostgreSQL's postmaster (it accepts, and closes a connection as PostgreSQL does at authentication_timeout or shutdown).
/// </summary>
public sealed class WarmSocketsTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly TcpListener _server = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private readonly ManualClock _clock = new();
    private readonly CancellationTokenSource _stop = new();
    private BackendPool _pool = null!;
    private WarmSockets _warm = null!;

    private Backend Replica => _pool.All[0];

    public async Task InitializeAsync()
    {
        _server.Start();
        var port = ((IPEndPoint)_server.LocalEndpoint).Port;
        var options = new ReplicaRouterOptions { Replicas = ["r1"], WarmConnections = 2, WarmConnectionLifetime = TimeSpan.FromSeconds(30) };
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:r1"] = $"Host=127.0.0.1;Port={port};Username=postgres" })
            .Build();
        _pool = new BackendPool(Options.Create(options), configuration, NullLogger<BackendPool>.Instance, _clock);
        Replica.Health.Observe(new CheckResult(true, true, 0, TimeSpan.Zero, null), _clock.GetUtcNow());
        _warm = new WarmSockets(_pool, Options.Create(options), _clock, NullLogger<WarmSockets>.Instance);
        await _warm.StartAsync(_stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _warm.StopAsync(CancellationToken.None);
        _warm.Dispose();
        _accepted.ForEach(s => s.Dispose());
        _server.Stop();
        _stop.Dispose();
    }

    [Fact]
    public async Task A_warm_socket_the_server_closed_is_never_handed_out_and_a_live_one_replaces_it()
    {
        var first = await AcceptFilledAsync();
        foreach (var server in first)
        {
            server.Close();
        }

        Assert.Null(_warm.TryTake(Replica));

        var second = await AcceptFilledAsync();
        using var taken = _warm.TryTake(Replica);
        Assert.NotNull(taken);
        await AssertConnectedToOneOfAsync(taken, second);
    }

    [Fact]
    public async Task Warm_sockets_are_not_handed_out_past_their_lifetime_and_the_old_ones_are_closed()
    {
        var first = await AcceptFilledAsync();

        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Null(_warm.TryTake(Replica));

        var second = await AcceptFilledAsync();
        foreach (var server in first)
        {
            await AssertClosedByRouterAsync(server);
        }

        using var taken = _warm.TryTake(Replica);
        Assert.NotNull(taken);
        await AssertConnectedToOneOfAsync(taken, second);
    }

    [Fact]
    public async Task An_ejected_backend_keeps_no_warm_sockets()
    {
        var first = await AcceptFilledAsync();

        _pool.Apply(Replica, Replica.Health.ConnectFailed("connection refused", _clock.GetUtcNow()));

        Assert.Equal(0, _warm.CountOf(Replica));
        Assert.Null(_warm.TryTake(Replica));
        foreach (var server in first)
        {
            await AssertClosedByRouterAsync(server);
        }
    }

    /// <summary>Accepts the connections the pool opens until it holds its two warm sockets; returns the server ends.</summary>
    private async Task<List<Socket>> AcceptFilledAsync()
    {
        var accepted = new List<Socket>();
        using var cts = new CancellationTokenSource(Deadline);
        for (var i = 0; i < 2; i++)
        {
            accepted.Add(await _server.AcceptSocketAsync(cts.Token));
        }

        _accepted.AddRange(accepted);
        await Poll.UntilAsync(() => Task.FromResult(_warm.CountOf(Replica)), count => count == 2, Deadline, "two warm sockets held");
        return accepted;
    }

    /// <summary>Bytes sent on the taken socket arrive at one of the live server ends.</summary>
    private static async Task AssertConnectedToOneOfAsync(Socket taken, List<Socket> servers)
    {
        await taken.SendAsync("ping"u8.ToArray());
        using var cts = new CancellationTokenSource(Deadline);
        var buffer = new byte[4];
        var reads = servers.Select(s => s.ReceiveAsync(buffer, SocketFlags.None, cts.Token).AsTask()).ToList();
        var read = await await Task.WhenAny(reads);
        Assert.Equal(4, read);
        Assert.Equal("ping"u8.ToArray(), buffer);
    }

    private static async Task AssertClosedByRouterAsync(Socket server)
    {
        using var cts = new CancellationTokenSource(Deadline);
        Assert.Equal(0, await server.ReceiveAsync(new byte[1], SocketFlags.None, cts.Token));
    }

    /// <summary>A clock the test moves: warm sockets age without the test waiting.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = TimeSpan.TicksPerDay;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
