using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using OdooAspire.AppHost.ReplicaRouter;
using OdooAspire.ReplicaRouter;
using OdooAspire.ReplicaRouter.Backends;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>A started stack with the replica router, and what its tests ask of it.</summary>
public abstract class RouterStack(params string[] args) : IAsyncLifetime
{
    public DistributedApplication App { get; private set; } = null!;

    public string[] Replicas { get; private set; } = [];

    public async Task InitializeAsync()
    {
        App = await TestStack.StartAsync(args);
        var replicaCount = args.Select(a => a.Split('=')).Where(kv => kv[0] == "--OdooAspire:PostgresReplicas").Select(kv => int.Parse(kv[1])).DefaultIfEmpty(2).Single();
        Replicas = [.. Enumerable.Range(1, replicaCount).Select(ResourceNames.PostgresReplica)];
        string[] resources = [ResourceNames.PostgresPrimary, .. Replicas, ResourceNames.ReplicaRouter];
        foreach (var resource in resources)
        {
            await App.WaitHealthyAsync(resource);
        }

        // Healthy means one replica is up; the tests want them all in rotation.
        await WaitForStatesAsync(Replicas.ToDictionary(r => r, _ => BackendState.Up), TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync() => await App.DisposeAsync();

    /// <summary>A connection string to the router's postgres endpoint with the primary's credentials, as Odoo uses it.</summary>
    public async Task<string> RouterConnectionStringAsync(SslMode sslMode = SslMode.Disable, int timeoutSeconds = 5)
    {
        var endpoint = App.GetEndpoint(ResourceNames.ReplicaRouter, ReplicaRouterEndpoints.Postgres);
        var csb = new NpgsqlConnectionStringBuilder(await App.ConnectionStringAsync(ResourceNames.PostgresPrimary))
        {
            Host = endpoint.Host,
            Port = endpoint.Port,
            SslMode = sslMode,
            Pooling = false,
            Timeout = timeoutSeconds,
        };
        return csb.ConnectionString;
    }

    /// <summary>Opens a connection through the router and says where it landed.</summary>
    public async Task<(NpgsqlConnection Connection, Landing Landing)> OpenThroughRouterAsync(SslMode sslMode = SslMode.Disable)
    {
        var connection = new NpgsqlConnection(await RouterConnectionStringAsync(sslMode));
        await connection.OpenAsync();
        return (connection, await LandingOfAsync(connection));
    }

    public static async Task<Landing> LandingOfAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery(), current_setting('port')::int", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new Landing(reader.GetBoolean(0), reader.GetInt32(1));
    }

    /// <summary>Runs a query whose answer is 3.2 MB of text, and checks it arrived whole: the relay under a real load.</summary>
    public static async Task<int> ReadLargeAnswerAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT string_agg(md5(i::text), '') FROM generate_series(1, 100000) i", connection);
        var text = (string)(await command.ExecuteScalarAsync())!;
        Assert.Equal(3_200_000, text.Length);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData("100000"u8)), text[^32..]);
        return text.Length;
    }

    /// <summary>A bare TCP connection to the router's postgres endpoint, for tests that speak the protocol by hand (or not at all).</summary>
    public async Task<Socket> ConnectRawAsync()
    {
        var endpoint = App.GetEndpoint(ResourceNames.ReplicaRouter, ReplicaRouterEndpoints.Postgres);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint.Host, endpoint.Port);
        return socket;
    }

    /// <summary>Everything the router sends until it closes the connection; fails the test if it keeps it open past <paramref name="deadline"/>.</summary>
    public static async Task<byte[]> ReadUntilClosedAsync(Socket socket, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        var received = new MemoryStream();
        var buffer = new byte[1024];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (read == 0)
            {
                return received.ToArray();
            }

            received.Write(buffer, 0, read);
        }
    }

    /// <summary>The port each server of the stack listens on, to tell where a connection landed.</summary>
    public int PortOf(string resource) => App.GetEndpoint(resource, "tcp").Port;

    public async Task<RouterStatusDocument> StatusAsync()
    {
        using var http = App.CreateHttpClient(ResourceNames.ReplicaRouter, ReplicaRouterEndpoints.Http);
        return (await http.GetFromJsonAsync<RouterStatusDocument>("/status", StatusJson))!;
    }

    public Task<RouterStatusDocument> WaitForStatesAsync(IReadOnlyDictionary<string, BackendState> states, TimeSpan deadline) =>
        Poll.UntilAsync(
            StatusAsync,
            status => states.All(s => status.Backends.Single(b => b.Name == s.Key).State == s.Value),
            deadline,
            $"router status {string.Join(", ", states.Select(s => $"{s.Key}={s.Value}"))}");

    /// <summary>Waits until the router holds its default number of warm sockets to every replica in rotation.</summary>
    public Task<RouterStatusDocument> WaitForWarmSocketsAsync() =>
        Poll.UntilAsync(
            StatusAsync,
            status => status.Backends.Where(b => b is { Role: BackendRole.Replica, State: BackendState.Up })
                .All(b => b.WarmConnections == new ReplicaRouterOptions().WarmConnections),
            TimeSpan.FromSeconds(10),
            "warm sockets to every replica in rotation");

    /// <summary>Stops a resource and waits until it no longer runs.</summary>
    public async Task StopAsync(string resource)
    {
        await App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await App.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates, cts.Token);
    }

    /// <summary>Starts a stopped resource again and waits until it is healthy.</summary>
    public async Task StartAsync(string resource)
    {
        await App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand);
        await App.WaitHealthyAsync(resource, TimeSpan.FromSeconds(90));
    }

    /// <summary>Opens connections through the router until one lands on <paramref name="replica"/>; the others are closed.</summary>
    public async Task<NpgsqlConnection> OpenOnAsync(string replica)
    {
        var port = PortOf(replica);
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var (connection, landing) = await OpenThroughRouterAsync();
            if (landing.Port == port)
            {
                return connection;
            }

            await connection.DisposeAsync();
        }

        throw new InvalidOperationException($"20 connections through the router and none landed on {replica}");
    }

    /// <summary>Polls until a new connection through the router lands on <paramref name="replica"/>: it is in rotation again.</summary>
    public Task WaitUntilUsedAsync(string replica, TimeSpan deadline) =>
        Poll.UntilAsync(
            async () =>
            {
                await using var connection = await OpenOnAsync(replica);
                return true;
            },
            used => used,
            deadline,
            $"a connection through the router lands on {replica}");

    /// <summary>The router process's open file descriptors (Linux /proc).</summary>
    public int RouterDescriptors()
    {
        if (!App.ResourceNotifications.TryGetCurrentState(ResourceNames.ReplicaRouter, out var state)
            || state.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is not { } pid)
        {
            throw new InvalidOperationException("the router's process id is not known to the app model");
        }

        return Directory.GetFiles($"/proc/{Convert.ToInt32(pid)}/fd").Length;
    }

    public static readonly JsonSerializerOptions StatusJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
}

/// <summary>Where a connection through the router was served: a replica (in recovery) or the primary, and which port.</summary>
public sealed record Landing(bool InRecovery, int Port);

/// <summary>The router's /status document, as a client reads it.</summary>
public sealed record RouterStatusDocument(
    string Listen, NoReplicaMode WhenNoReplica, bool Serving, bool OnReplicas, int Clients, int StartingClients, long StartingEvicted, List<BackendStatusDocument> Backends,
    RelayMode Relay, string? KernelRelayUnavailable, int? KernelRelaySockets);

public sealed record BackendStatusDocument(
    string Name, BackendRole Role, BackendState State, EjectionReason? Reason, long? LagBytes, double? LagSeconds, int ActiveConnections, string? LastError,
    int WarmConnections, int KernelRelayedConnections, long BytesToBackend, long BytesToClient);

/// <summary>
/// The default stack: two replicas, fallback to the primary; a short startup timeout (half-open client test)
/// and lag limit (paused replica test) so the tests wait seconds, not the production defaults.
/// </summary>
public sealed class DefaultRouterStack() : RouterStack("--ReplicaRouter:StartupTimeout=00:00:02", "--ReplicaRouter:MaxLagTime=00:00:02");

[CollectionDefinition(Name)]
public sealed class DefaultRouterCollection : ICollectionFixture<DefaultRouterStack>
{
    public const string Name = "replica router on the default stack";
}
