using System.Collections.Concurrent;
using System.Net;

namespace OdooAspire.ReplicaRouter.Backends;

/// <summary>Anything the router can close when its backend is ejected.</summary>
public interface IBackendSession
{
    /// <summary>Closes the connection now.</summary>
    void Abort(string reason);

    /// <summary>Closes the connection now if it is between transactions, otherwise as soon as it is.</summary>
    void CloseWhenIdle(string reason);

    /// <summary>Whether the kernel relays this connection (its bytes are then counted there, not by the router).</summary>
    bool RelayedInKernel { get; }

    /// <summary>Bytes the kernel has relayed for this connection; zeros when it is relayed in user space.</summary>
    (long ToBackend, long ToClient) KernelBytes { get; }
}

/// <summary>One PostgreSQL server the router can send clients to: its address, health and traffic.</summary>
public sealed class Backend(string name, BackendRole role, IPEndPoint endPoint, string healthConnectionString, BackendHealth health)
{
    private readonly ConcurrentDictionary<IBackendSession, byte> _sessions = new();

    // Held while a kernel-relayed session's bytes move from "live" into the totals, so the sums never go back.
    private readonly Lock _kernelBytes = new();
    private long _bytesToBackend;
    private long _bytesToClient;
    private long _connectionsTotal;

    public string Name { get; } = name;

    public BackendRole Role { get; } = role;

    public IPEndPoint EndPoint { get; } = endPoint;

    /// <summary>Superuser connection string the router's own health checks use (never a client's).</summary>
    public string HealthConnectionString { get; } = healthConnectionString;

    public BackendHealth Health { get; } = health;

    public int ActiveConnections => _sessions.Count;

    public long ConnectionsTotal => Interlocked.Read(ref _connectionsTotal);

    /// <summary>Client connections on this backend the kernel relays.</summary>
    public int KernelRelayedConnections => _sessions.Keys.Count(s => s.RelayedInKernel);

    public long BytesToBackend => Bytes().ToBackend;

    public long BytesToClient => Bytes().ToClient;

    /// <summary>Whether new client connections may go here.</summary>
    public bool IsUp => Health.State == BackendState.Up;

    public void Attach(IBackendSession session)
    {
        _sessions.TryAdd(session, 0);
        Interlocked.Increment(ref _connectionsTotal);
    }

    /// <summary>Removes a closed session; what the kernel relayed for it joins the totals.</summary>
    public void Detach(IBackendSession session)
    {
        if (!session.RelayedInKernel)
        {
            _sessions.TryRemove(session, out _);
            return;
        }

        lock (_kernelBytes)
        {
            if (_sessions.TryRemove(session, out _))
            {
                var (toBackend, toClient) = session.KernelBytes;
                CountToBackend(toBackend);
                CountToClient(toClient);
            }
        }
    }

    public void CountToBackend(long bytes) => Interlocked.Add(ref _bytesToBackend, bytes);

    public void CountToClient(long bytes) => Interlocked.Add(ref _bytesToClient, bytes);

    private (long ToBackend, long ToClient) Bytes()
    {
        lock (_kernelBytes)
        {
            var (toBackend, toClient) = (Interlocked.Read(ref _bytesToBackend), Interlocked.Read(ref _bytesToClient));
            foreach (var session in _sessions.Keys.Where(s => s.RelayedInKernel))
            {
                var live = session.KernelBytes;
                toBackend += live.ToBackend;
                toClient += live.ToClient;
            }

            return (toBackend, toClient);
        }
    }

    /// <summary>Closes every client connection on this backend, at once or each at its next idle point; returns how many.</summary>
    public int CloseSessions(string reason, bool atOnce)
    {
        var count = 0;
        foreach (var session in _sessions.Keys)
        {
            if (atOnce)
            {
                session.Abort(reason);
            }
            else
            {
                session.CloseWhenIdle(reason);
            }

            count++;
        }

        return count;
    }
}
