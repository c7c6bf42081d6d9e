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
}

/// <summary>One PostgreSQL server the router can send clients to: its address, health and traffic.</summary>
public sealed class Backend(string name, BackendRole role, IPEndPoint endPoint, string healthConnectionString, BackendHealth health)
{
    private readonly ConcurrentDictionary<IBackendSession, byte> _sessions = new();
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

    public long BytesToBackend => Interlocked.Read(ref _bytesToBackend);

    public long BytesToClient => Interlocked.Read(ref _bytesToClient);

    /// <summary>Whether new client connections may go here.</summary>
    public bool IsUp => Health.State == BackendState.Up;

    public void Attach(IBackendSession session)
    {
        _sessions.TryAdd(session, 0);
        Interlocked.Increment(ref _connectionsTotal);
    }

    public void Detach(IBackendSession session) => _sessions.TryRemove(session, out _);

    public void CountToBackend(int bytes) => Interlocked.Add(ref _bytesToBackend, bytes);

    public void CountToClient(int bytes) => Interlocked.Add(ref _bytesToClient, bytes);

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
