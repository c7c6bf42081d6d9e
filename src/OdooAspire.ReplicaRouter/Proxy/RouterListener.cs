using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using OdooAspire.ReplicaRouter.Backends;
using OdooAspire.ReplicaRouter.Relay;

namespace OdooAspire.ReplicaRouter.Proxy;

/// <summary>The PostgreSQL endpoint: accepts client connections and runs a <see cref="ClientSession"/> for each.</summary>
public sealed partial class RouterListener(
    BackendPool pool, WarmSockets warm, CancelRegistry cancels, RelayEngine relay, ClientBudget budget, RouterMetrics metrics, IOptions<ReplicaRouterOptions> options,
    ILogger<RouterListener> logger)
    : BackgroundService
{
    private const int IpProtoTcp = 6;
    private const int TcpDeferAccept = 9;
    private readonly ReplicaRouterOptions _options = options.Value;
    private readonly ConcurrentDictionary<ClientSession, byte> _sessions = new();
    private Socket? _listener;

    public IPEndPoint? EndPoint => _listener?.LocalEndPoint as IPEndPoint;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var address = IPAddress.Parse(_options.ListenAddress);
        var endPoint = new IPEndPoint(address, _options.ListenPort);
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(endPoint);
        }
        catch (SocketException ex)
        {
            _listener.Dispose();
            throw new InvalidOperationException(
                $"cannot listen on {endPoint} ({ex.SocketErrorCode}): another process holds the port; set {ReplicaRouterOptions.SectionName}:ListenPort to a free one", ex);
        }

        if (OperatingSystem.IsLinux())
        {
            // PostgreSQL clients speak first: accept once the startup packet is in, one wake-up per client instead of two.
            // A client that sends nothing is still accepted after the delay, and then waits in the starting budget.
            _listener.SetRawSocketOption(IpProtoTcp, TcpDeferAccept, BitConverter.GetBytes(1));
        }

        // As deep as the host allows (net.core.somaxconn): silent sockets held back by TCP_DEFER_ACCEPT wait in this queue, and
        // a flood that overflows it pushes real clients onto SYN cookies, or drops their SYNs where cookies are off.
        _listener.Listen();
        LogListening(endPoint, _options.WhenNoReplica, string.Join(", ", pool.All.Select(b => $"{b.Name} ({b.Role}) {b.EndPoint}")));
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var registration = stoppingToken.Register(() => _listener!.Dispose());
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener!.AcceptAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || (ex is SocketException && stoppingToken.IsCancellationRequested))
            {
                break;
            }

            client.NoDelay = true;
            // In accept order: when the starting budget is full, the connection accepted longest ago is evicted for this one.
            var starting = budget.Start();
            _ = RunAsync(new ClientSession(client, starting, budget, pool, warm, cancels, relay, metrics, _options, logger));
        }

        foreach (var session in _sessions.Keys)
        {
            session.Abort("the router is stopping");
        }
    }

    private async Task RunAsync(ClientSession session)
    {
        _sessions.TryAdd(session, 0);
        try
        {
            await session.RunAsync();
        }
        catch (Exception ex)
        {
            LogSessionFailed(ex);
        }
        finally
        {
            _sessions.TryRemove(session, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica router listening on {EndPoint} (no healthy replica: {Mode}); backends: {Backends}")]
    private partial void LogListening(IPEndPoint endPoint, NoReplicaMode mode, string backends);

    [LoggerMessage(Level = LogLevel.Error, Message = "A client session failed unexpectedly")]
    private partial void LogSessionFailed(Exception ex);
}
