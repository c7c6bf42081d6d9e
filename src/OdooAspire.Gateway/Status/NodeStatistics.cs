namespace OdooAspire.Gateway.Status;

/// <summary>What the gateway knows about one node of one cluster: live counters for the load balancer and the status page.</summary>
public sealed class NodeStatistics(string clusterId, string destinationId)
{
    private long _sent;
    private long _inFlight;
    private long _served;
    private long _failed;
    private long _retried;
    private int _consecutiveProbeFailures;

    public string ClusterId { get; } = clusterId;

    public string DestinationId { get; } = destinationId;

    /// <summary>Every attempt ever sent to this node, hedged copies and retries included.</summary>
    public long Sent => Volatile.Read(ref _sent);

    /// <summary>Attempts sent to this node and not finished yet (hedged copies included): the load balancer's signal.</summary>
    public long InFlight => Volatile.Read(ref _inFlight);

    public long Served => Volatile.Read(ref _served);

    public long Failed => Volatile.Read(ref _failed);

    /// <summary>Attempts this node received as a retry or a hedge of a request first sent elsewhere.</summary>
    public long Retried => Volatile.Read(ref _retried);

    public ProbeResult? LastProbe { get; private set; }

    internal void AttemptStarted(bool isRetry)
    {
        Interlocked.Increment(ref _sent);
        Interlocked.Increment(ref _inFlight);
        if (isRetry)
        {
            Interlocked.Increment(ref _retried);
        }
    }

    internal void AttemptServed()
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _served);
    }

    internal void AttemptFailed()
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _failed);
    }

    /// <summary>An attempt abandoned because another node answered first, or the client went away: not the node's fault.</summary>
    internal void AttemptAbandoned() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Records a probe and returns the number of consecutive failed probes including this one.</summary>
    internal int RecordProbe(ProbeResult probe)
    {
        LastProbe = probe;
        if (probe.Passed)
        {
            Volatile.Write(ref _consecutiveProbeFailures, 0);
            return 0;
        }

        return Interlocked.Increment(ref _consecutiveProbeFailures);
    }
}

/// <summary>One active health probe: when, whether it passed, and what came back ("200", "timeout", "connection refused").</summary>
public sealed record ProbeResult(DateTimeOffset At, bool Passed, string Outcome);
