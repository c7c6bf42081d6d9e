using Microsoft.Extensions.Options;

namespace OdooAspire.ReplicaRouter.Proxy;

/// <summary>
/// The router's two client budgets. A connection in its startup phase holds one of
/// <see cref="ReplicaRouterOptions.MaxStartingClients"/> places; when all are held, a newcomer takes the place of the
/// connection that has waited longest, so sockets that never finish (silent, or dripping a byte at a time) cannot shut
/// real clients out: those send their startup packet at once and are never the longest waiting. A session past its
/// startup phase holds one of <see cref="ReplicaRouterOptions.MaxClients"/> places, beyond which it is refused.
/// </summary>
public sealed class ClientBudget(IOptions<ReplicaRouterOptions> options)
{
    private readonly ReplicaRouterOptions _options = options.Value;
    private readonly Lock _gate = new();
    private readonly LinkedList<StartingPlace> _starting = new();
    private int _clients;
    private long _evicted;
    private long _refused;

    /// <summary>Connections in their startup phase now.</summary>
    public int Starting
    {
        get
        {
            lock (_gate)
            {
                return _starting.Count;
            }
        }
    }

    /// <summary>Sessions past their startup phase now.</summary>
    public int Clients => Volatile.Read(ref _clients);

    /// <summary>Connections closed in their startup phase to make room for a newer one, since start.</summary>
    public long StartingEvicted => Interlocked.Read(ref _evicted);

    /// <summary>Clients refused because <see cref="ReplicaRouterOptions.MaxClients"/> sessions were open, since start.</summary>
    public long MaxClientsRefused => Interlocked.Read(ref _refused);

    /// <summary>A place for a connection just accepted; when none is free, the longest-waiting connection is evicted for it.</summary>
    public StartingPlace Start()
    {
        var place = new StartingPlace(this);
        StartingPlace? evicted = null;
        lock (_gate)
        {
            if (_starting.Count >= _options.MaxStartingClients)
            {
                evicted = _starting.First!.Value;
                _starting.RemoveFirst();
                Interlocked.Increment(ref _evicted);
            }

            place.Node = _starting.AddLast(place);
        }

        // Outside the lock: cancelling runs the evicted session's cancellation callbacks.
        evicted?.Evict();
        return place;
    }

    /// <summary>Takes a place for a session past its startup phase; false when <see cref="ReplicaRouterOptions.MaxClients"/> are taken.</summary>
    public bool TryTakeClient()
    {
        if (Interlocked.Increment(ref _clients) <= _options.MaxClients)
        {
            return true;
        }

        Interlocked.Decrement(ref _clients);
        Interlocked.Increment(ref _refused);
        return false;
    }

    public void ReleaseClient() => Interlocked.Decrement(ref _clients);

    internal void Leave(StartingPlace place)
    {
        lock (_gate)
        {
            if (place.Node?.List is not null)
            {
                _starting.Remove(place.Node);
            }
        }
    }
}

/// <summary>A connection's place among those in their startup phase; disposing it ends that phase.</summary>
public sealed class StartingPlace(ClientBudget budget) : IDisposable
{
    // Never disposed: it has no timer, and a newcomer may evict this place just as its session ends.
    private readonly CancellationTokenSource _eviction = new();

    /// <summary>Cancelled when a newer connection took this place: the session closes at once.</summary>
    public CancellationToken Evicted => _eviction.Token;

    internal LinkedListNode<StartingPlace>? Node { get; set; }

    internal void Evict() => _eviction.Cancel();

    public void Dispose() => budget.Leave(this);
}
