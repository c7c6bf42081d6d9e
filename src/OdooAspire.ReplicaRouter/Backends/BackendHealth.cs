namespace OdooAspire.ReplicaRouter.Backends;

public enum BackendRole
{
    Primary,
    Replica,
}

public enum BackendState
{
    /// <summary>Not checked yet: admitted by its first good check.</summary>
    Pending,
    Up,
    Ejected,
}

public enum EjectionReason
{
    None,
    Unreachable,
    WrongRole,
    Lag,
}

/// <summary>One health check's findings. Lag is null for the primary and when the primary's position is unknown.</summary>
public sealed record CheckResult(bool Reachable, bool InRecovery, long? LagBytes, TimeSpan? LagTime, string? Error)
{
    public static CheckResult Unreachable(string error) => new(false, false, null, null, error);
}

/// <summary>A state change the router acts on (closing clients) and reports (logs, metrics).</summary>
public sealed record BackendTransition(BackendState From, BackendState To, EjectionReason Reason, string Detail);

/// <summary>
/// A backend's state machine: Pending → Up on the first good check; Up → Ejected (unreachable, wrong role
/// or lag) on one bad check or failed connect; Ejected → Up after <c>ReadmitAfterChecks</c> consecutive good checks.
/// </summary>
public sealed class BackendHealth(BackendRole role, ReplicaRouterOptions options, DateTimeOffset now)
{
    private readonly Lock _gate = new();
    private int _consecutiveGood;

    public BackendState State { get; private set; } = BackendState.Pending;

    public EjectionReason Reason { get; private set; }

    public DateTimeOffset Since { get; private set; } = now;

    public string? LastError { get; private set; }

    public long? LagBytes { get; private set; }

    public TimeSpan? LagTime { get; private set; }

    public DateTimeOffset? LastCheck { get; private set; }

    /// <summary>Takes a check's result into account; returns the transition it caused, if any.</summary>
    public BackendTransition? Observe(CheckResult result, DateTimeOffset now)
    {
        lock (_gate)
        {
            LastCheck = now;
            LagBytes = result.LagBytes;
            LagTime = result.LagTime;
            var (reason, detail) = Judge(result);
            LastError = reason == EjectionReason.None ? null : detail;
            if (reason != EjectionReason.None)
            {
                _consecutiveGood = 0;
                return Eject(reason, detail, now);
            }

            _consecutiveGood++;
            if (State == BackendState.Up || (State == BackendState.Ejected && _consecutiveGood < options.ReadmitAfterChecks))
            {
                return null;
            }

            var transition = new BackendTransition(State, BackendState.Up, EjectionReason.None,
                State == BackendState.Pending ? "first check passed" : $"{_consecutiveGood} consecutive good checks");
            State = BackendState.Up;
            Reason = EjectionReason.None;
            Since = now;
            return transition;
        }
    }

    /// <summary>A client connection to this backend could not be opened: eject now rather than at the next check.</summary>
    public BackendTransition? ConnectFailed(string error, DateTimeOffset now)
    {
        lock (_gate)
        {
            _consecutiveGood = 0;
            LastError = error;
            return Eject(EjectionReason.Unreachable, error, now);
        }
    }

    private BackendTransition? Eject(EjectionReason reason, string detail, DateTimeOffset now)
    {
        if (State == BackendState.Ejected)
        {
            Reason = reason;
            return null;
        }

        var transition = new BackendTransition(State, BackendState.Ejected, reason, detail);
        State = BackendState.Ejected;
        Reason = reason;
        Since = now;
        return transition;
    }

    private (EjectionReason, string) Judge(CheckResult result)
    {
        if (!result.Reachable)
        {
            return (EjectionReason.Unreachable, result.Error ?? "unreachable");
        }

        var expectRecovery = role == BackendRole.Replica;
        if (result.InRecovery != expectRecovery)
        {
            return (EjectionReason.WrongRole, result.InRecovery ? "in recovery; expected the primary" : "not in recovery; expected a replica");
        }

        if (result.LagBytes > options.MaxLagBytes)
        {
            return (EjectionReason.Lag, $"{result.LagBytes} bytes behind the primary (limit {options.MaxLagBytes})");
        }

        if (result.LagTime > options.MaxLagTime)
        {
            return (EjectionReason.Lag, $"{result.LagTime.Value.TotalSeconds:0.0} s behind the primary (limit {options.MaxLagTime.TotalSeconds:0.0} s)");
        }

        return (EjectionReason.None, "");
    }
}
