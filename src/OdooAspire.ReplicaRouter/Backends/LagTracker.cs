namespace OdooAspire.ReplicaRouter.Backends;

/// <summary>
/// Replication lag from the router's own samples of the primary's WAL position. Bytes: the primary's
/// latest position minus the replica's replay position. Time: how long ago the primary first passed the
/// replica's replay position, so an idle primary never makes a caught-up replica look stale.
/// </summary>
public sealed class LagTracker(TimeSpan history)
{
    private readonly Lock _gate = new();
    private readonly Queue<(DateTimeOffset At, long Lsn)> _samples = new();
    private (DateTimeOffset At, long Lsn)? _latest;

    /// <summary>Records the primary's current WAL position (pg_current_wal_lsn) observed at <paramref name="at"/>.</summary>
    public void RecordPrimary(long lsn, DateTimeOffset at)
    {
        lock (_gate)
        {
            // Only advances are kept: the time lag is "since when has the primary been past the replica".
            if (_latest is null || lsn > _latest.Value.Lsn)
            {
                _samples.Enqueue((at, lsn));
                _latest = (at, lsn);
            }

            while (_samples.Count > 1 && _samples.Peek().At < at - history)
            {
                _samples.Dequeue();
            }
        }
    }

    /// <summary>The lag of a replica that has replayed up to <paramref name="replayLsn"/>, or nulls when the primary has not been sampled.</summary>
    public (long? Bytes, TimeSpan? Time) LagOf(long replayLsn, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_latest is not { } latest)
            {
                return (null, null);
            }

            var bytes = latest.Lsn - replayLsn;
            if (bytes <= 0)
            {
                return (0, TimeSpan.Zero);
            }

            // Samples only grow, so the first one past the replay position is when the replica fell behind.
            var behindSince = _samples.First(sample => sample.Lsn > replayLsn).At;
            var time = now - behindSince;
            return (bytes, time < TimeSpan.Zero ? TimeSpan.Zero : time);
        }
    }
}
