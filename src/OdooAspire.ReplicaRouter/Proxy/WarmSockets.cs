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
    private readonly Dictionary<Backend, Queue<Warm>> _queues;
    private readonly SemaphoreSlim _wake = new(0);
    private int _wakePending;

    public WarmSockets(BackendPool pool, IOptions<ReplicaRouterOptions> options, TimeProvider time, ILogger<WarmSockets> logger)
    {
        _pool = pool;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _queues = pool.All.ToDictionary(b => b, _ => new Queue<Warm>());
        pool.Ejections += (backend, _) => Drain(backend);
    }

    /// <summary>Warm sockets held for <paramref name="backend"/> now.</summary>
    public int CountOf(Backend backend)
    {
        var queue = _queues[backend];
        lock (queue)
        {
            return queue.Count;
        }
    }

    /// <summary>A connected socket to <paramref name="backend"/> the server has not closed, or null: then the caller connects itself.</summary>
    public Socket? TryTake(Backend backend)
    {
        if (_options.WarmConnections == 0)
        {
            return null;
        }

        var queue = _queues[backend];
        Socket? taken = null;
        List<Socket>? stale = null;
        lock (queue)
        {
            while (taken is null && queue.TryDequeue(out var warm))
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
        Wake();
        return taken;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.WarmConnections == 0)
        {
            return;
        }

        // Half the lifetime between rounds at most, so no socket outlives it unused.
        var round = _options.WarmConnectionLifetime / 2;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Volatile.Write(ref _wakePending, 0);
                foreach (var backend in _pool.All)
                {
                    await TopUpAsync(backend, round, stoppingToken);
                }

                await _wake.WaitAsync(round, stoppingToken);
            }
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

    /// <summary>
    /// Replaces sockets past half their lifetime and fills up to <c>WarmConnections</c>, for backends new clients would go to;
    /// new sockets are in before old ones close, so the router's descriptor count never dips below its steady level.
    /// </summary>
    private async Task TopUpAsync(Backend backend, TimeSpan replaceAfter, CancellationToken stoppingToken)
    {
        if (!Wanted(backend))
        {
            Drain(backend);
            return;
        }

        var queue = _queues[backend];
        var aging = new List<Socket>();
        int missing;
        lock (queue)
        {
            for (var n = queue.Count; n > 0; n--)
            {
                var warm = queue.Dequeue();
                if (Age(warm) >= replaceAfter)
                {
                    aging.Add(warm.Socket);
                }
                else
                {
                    queue.Enqueue(warm);
                }
            }

            missing = _options.WarmConnections - queue.Count;
        }

        for (var i = 0; i < missing && Wanted(backend); i++)
        {
            var socket = await ConnectAsync(backend, stoppingToken);
            if (socket is null)
            {
                break;
            }

            // Ejected while connecting: a server shutting down waits for such a connection until its authentication_timeout.
            if (!Wanted(backend))
            {
                socket.Dispose();
                break;
            }

            lock (queue)
            {
                queue.Enqueue(new Warm(socket, _time.GetTimestamp()));
            }
        }

        aging.ForEach(s => s.Dispose());
    }

    /// <summary>Replicas in rotation; the primary only while it is the fallback that serves (no replica up).</summary>
    private bool Wanted(Backend backend) =>
        backend.IsUp && (backend.Role == BackendRole.Replica
            || (_options.WhenNoReplica == NoReplicaMode.Primary && !_pool.Selector.Replicas.Any(r => r.IsUp)));

    private async Task<Socket?> ConnectAsync(Backend backend, CancellationToken stoppingToken)
    {
        var socket = new Socket(backend.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(_options.ConnectTimeout);
            await socket.ConnectAsync(backend.EndPoint, timeout.Token);
            return socket;
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !stoppingToken.IsCancellationRequested))
        {
            // The health checks decide about the backend; a client that finds no warm socket connects itself.
            socket.Dispose();
            LogConnectFailed(backend.Name, ex.Message);
            return null;
        }
    }

    private void Drain(Backend backend)
    {
        var queue = _queues[backend];
        Warm[] drained;
        lock (queue)
        {
            drained = [.. queue];
            queue.Clear();
        }

        foreach (var warm in drained)
        {
            warm.Socket.Dispose();
        }
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _wake.Release();
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

    private readonly record struct Warm(Socket Socket, long OpenedAt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Opening a warm connection to {Backend} failed: {Error}")]
    private partial void LogConnectFailed(string backend, string error);
}
