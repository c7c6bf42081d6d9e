namespace OdooAspire.ReplicaRouter.Backends;

/// <summary>
/// Orders the backends a new client connection should try: healthy replicas by fewest active connections
/// (ties rotate, so short-lived connections spread too), then the primary when the mode allows it.
/// </summary>
public sealed class BackendSelector(IReadOnlyList<Backend> replicas, Backend? primary, NoReplicaMode whenNoReplica)
{
    private int _rotation;

    public IReadOnlyList<Backend> Replicas { get; } = replicas;

    public Backend? Primary { get; } = primary;

    public List<Backend> Candidates()
    {
        var start = (int)((uint)Interlocked.Increment(ref _rotation) % (uint)Math.Max(1, Replicas.Count));
        var candidates = new List<Backend>(Replicas.Count + 1);
        for (var i = 0; i < Replicas.Count; i++)
        {
            var replica = Replicas[(start + i) % Replicas.Count];
            if (replica.IsUp)
            {
                candidates.Add(replica);
            }
        }

        // Stable sort: among equal loads the rotated order stands.
        var ordered = candidates.Select((backend, index) => (backend, index))
            .OrderBy(c => c.backend.ActiveConnections).ThenBy(c => c.index)
            .Select(c => c.backend)
            .ToList();

        if (whenNoReplica == NoReplicaMode.Primary && Primary is { Health.State: not BackendState.Ejected })
        {
            ordered.Add(Primary);
        }

        return ordered;
    }

    /// <summary>Whether a new connection would be served now, and how ("replicas", "primary") — for /health.</summary>
    public (bool Serving, bool OnReplicas) Readiness()
    {
        var onReplicas = Replicas.Any(r => r.IsUp);
        var onPrimary = whenNoReplica == NoReplicaMode.Primary && Primary is { IsUp: true };
        return (onReplicas || onPrimary, onReplicas);
    }
}
