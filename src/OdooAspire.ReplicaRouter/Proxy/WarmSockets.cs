using System.Net.Sockets;
using Microsoft.Extensions.Options;
using OdooAspire.ReplicaRouter.Backends;

namespace OdooAspire.ReplicaRouter.Proxy;

/// <summary>
/// A few TCP connections kept open to each backend that would take new clients, so a client's login skips the TCP
/// handshake and PostgreSQL's fork of a server process (it forks when it accepts, before any packet). Each socket
/// serves one client's startup packet, is never handed out once the server closed it, and is replaced before the
/// server's authentication_timeout would close it.
/// </summary>
public sealed partial class WarmSockets : BackgroundService
{
    private readonly BackendPool _pool;
    private readonly ReplicaRouterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WarmSockets> _logger;
    private readonly Dictionary<Backend, Slot> _slots;
    private CancellationToken _stopping;

    public WarmSockets(BackendPool pool, IOptions<ReplicaRouterOptions> options, TimeProvider time, ILogger<WarmSockets> logger)
    {
        _pool = pool;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _slots = pool.All.ToDictionary(b => b, _ => new Slot());
        pool.Ejections += (backend, _) => Drain(backend);
    }

    /// <summary>Warm sockets held for <paramref name="backend"/> now.</summary>
    public int CountOf(Backend backend)
    {
        var slot = _slots[backend];
        lock (slot)
        {
            return slot.Queue.Count;
        }
    }

    /// <summary>A connected socket to <paramref name="backend"/> the server has not closed, or null: then the caller connects itself.</summary>
    public Socket? TryTake(Backend backend)
    {
        if (_options.WarmConnections == 0)
        {
            return null;
        }

        var slot = _slots[backend];
        Socket? taken = null;
        List<Socket>? stale = null;
        lock (slot)
        {
            while (taken is null && slot.Queue.TryDequeue(out var warm))
            {
                if (Age(warm) < _options.WarmConnectionLifetime && StillOpen(warm.Socket))
                {
                    taken = warm.Socket;
                }
                else
                {
                    (stale ??= []).Add(warm.Socket);
                }
            }
        }

        stale?.ForEach(s => s.Dispose());

        // Replaced from here rather than by the periodic round: the connect completes on the socket engine's thread, no hand-off.
        Replenish(backend);
        return taken;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.WarmConnections == 0)
        {
            return;
        }

        _stopping = stoppingToken;

        // Half the lifetime between rounds, so no socket outlives it unused.
        var round = _options.WarmConnectionLifetime / 2;
        using var timer = new PeriodicTimer(round);
        try
        {
            do
            {
                foreach (var backend in _pool.All)
                {
                    Refresh(backend, round);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var backend in _pool.All)
            {
                Drain(backend);
            }
        }
    }

    /// <summary>Replaces sockets past <paramref name="replaceAfter"/> and fills up; drains backends no new client would go to.</summary>
    private void Refresh(Backend backend, TimeSpan replaceAfter)
    {
        if (!Wanted(backend))
        {
            Drain(backend);
            return;
        }

        var slot = _slots[backend];
        var aging = new List<Socket>();
        lock (slot)
        {
            for (var n = slot.Queue.Count; n > 0; n--)
            {
                var warm = slot.Queue.Dequeue();
                if (Age(warm) >= replaceAfter)
                {
                    aging.Add(warm.Socket);
                }
                else
                {
                    slot.Queue.Enqueue(warm);
                }
            }
        }

        // New sockets are in before the old ones close, so the router's descriptor count never dips below its steady level.
        Replenish(backend, then: aging);
    }

    /// <summary>Starts the connects that bring <paramref name="backend"/> up to <c>WarmConnections</c>; closes <paramref name="then"/> once they are done.</summary>
    private void Replenish(Backend backend, List<Socket>? then = null)
    {
        var slot = _slots[backend];
        int missing;
        lock (slot)
        {
            missing = Wanted(backend) ? _options.WarmConnections - slot.Queue.Count - slot.Connecting : 0;
            slot.Connecting += Math.Max(0, missing);
        }

        if (missing <= 0)
        {
            then?.ForEach(s => s.Dispose());
            return;
        }

        var connects = new Task[missing];
        for (var i = 0; i < missing; i++)
        {
            connects[i] = AddOneAsync(backend, slot);
        }

        if (then is { Count: > 0 })
        {
            _ = Task.WhenAll(connects).ContinueWith(_ => then.ForEach(s => s.Dispose()), TaskScheduler.Default);
        }
    }

    private async Task AddOneAsync(Backend backend, Slot slot)
    {
        Socket? socket = null;
        try
        {
            socket = await ConnectAsync(backend);
        }
        finally
        {
            lock (slot)
            {
                slot.Connecting--;

                // Ejected while connecting: a server shutting down waits for such a connection until its authentication_timeout.
                if (socket is not null && Wanted(backend))
                {
                    slot.Queue.Enqueue(new Warm(socket, _time.GetTimestamp()));
                    socket = null;
                }
            }

            socket?.Dispose();
        }
    }

    /// <summary>Replicas in rotation; the primary only while it is the fallback that serves (no replica up).</summary>
    private bool Wanted(Backend backend) =>
        !_stopping.IsCancellationRequested && backend.IsUp && (backend.Role == BackendRole.Replica
            || (_options.WhenNoReplica == NoReplicaMode.Primary && !_pool.Selector.Replicas.Any(r => r.IsUp)));

    private async Task<Socket?> ConnectAsync(Backend backend)
    {
        var socket = new Socket(backend.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(_options.ConnectTimeout);
            await socket.ConnectAsync(backend.EndPoint, timeout.Token);
            return socket;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The health checks decide about the backend; a client that finds no warm socket connects itself.
            socket.Dispose();
            LogConnectFailed(backend.Name, ex.Message);
            return null;
        }
    }

    private void Drain(Backend backend)
    {
        var slot = _slots[backend];
        Warm[] drained;
        lock (slot)
        {
            drained = [.. slot.Queue];
            slot.Queue.Clear();
        }

        foreach (var warm in drained)
        {
            warm.Socket.Dispose();
        }
    }

    private TimeSpan Age(Warm warm) => _time.GetElapsedTime(warm.OpenedAt);

    /// <summary>A server that has not been sent anything has nothing to say: readable means it closed (or reset) the connection.</summary>
    private static bool StillOpen(Socket socket)
    {
        try
        {
            return !socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>One backend's warm sockets, oldest first, and how many connects are under way (guarded by locking the slot).</summary>
    private sealed class Slot
    {
        public Queue<Warm> Queue { get; } = new();

        public int Connecting { get; set; }
    }

    private readonly record struct Warm(Socket Socket, long OpenedAt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Opening a warm connection to {Backend} failed: {Error}")]
    private partial void LogConnectFailed(string backend, string error);
}
