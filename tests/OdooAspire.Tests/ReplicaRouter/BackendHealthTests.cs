using OdooAspire.ReplicaRouter;
using OdooAspire.ReplicaRouter.Backends;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>When a backend is taken out of rotation and when it is trusted again.</summary>
public sealed class BackendHealthTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 6, 0, 0, TimeSpan.Zero);
    private static readonly ReplicaRouterOptions Options = new() { ReadmitAfterChecks = 3, MaxLagBytes = 1000, MaxLagTime = TimeSpan.FromSeconds(5) };
    private static readonly CheckResult GoodReplica = new(true, true, 0, TimeSpan.Zero, null);

    [Fact]
    public void A_replica_is_used_after_its_first_good_check()
    {
        var health = new BackendHealth(BackendRole.Replica, Options, T0);
        Assert.Equal(BackendState.Pending, health.State);

        var transition = health.Observe(GoodReplica, T0);

        Assert.Equal(BackendState.Up, health.State);
        Assert.Equal(new BackendTransition(BackendState.Pending, BackendState.Up, EjectionReason.None, "first check passed"), transition);
    }

    [Fact]
    public void One_failed_check_ejects_a_replica_as_unreachable()
    {
        var health = Up();

        var transition = health.Observe(CheckResult.Unreachable("connection refused"), T0);

        Assert.Equal(BackendState.Ejected, health.State);
        Assert.Equal(EjectionReason.Unreachable, transition!.Reason);
        Assert.Equal("connection refused", health.LastError);
    }

    [Fact]
    public void An_ejected_replica_returns_only_after_three_consecutive_good_checks()
    {
        var health = Up();
        health.Observe(CheckResult.Unreachable("down"), T0);

        Assert.Null(health.Observe(GoodReplica, T0));
        Assert.Null(health.Observe(GoodReplica, T0));
        Assert.Null(health.Observe(CheckResult.Unreachable("flapping"), T0));
        Assert.Null(health.Observe(GoodReplica, T0));
        Assert.Null(health.Observe(GoodReplica, T0));
        Assert.Equal(BackendState.Ejected, health.State);

        var transition = health.Observe(GoodReplica, T0.AddSeconds(1));

        Assert.Equal(BackendState.Up, health.State);
        Assert.Equal(BackendState.Ejected, transition!.From);
        Assert.Equal(T0.AddSeconds(1), health.Since);
    }

    [Fact]
    public void A_replica_that_was_promoted_is_ejected_for_its_role()
    {
        var health = Up();

        health.Observe(new CheckResult(true, false, null, null, null), T0);

        Assert.Equal((BackendState.Ejected, EjectionReason.WrongRole), (health.State, health.Reason));
    }

    [Fact]
    public void A_primary_in_recovery_is_ejected_for_its_role()
    {
        var health = new BackendHealth(BackendRole.Primary, Options, T0);

        health.Observe(new CheckResult(true, true, null, null, null), T0);

        Assert.Equal((BackendState.Ejected, EjectionReason.WrongRole), (health.State, health.Reason));
    }

    [Fact]
    public void A_replica_too_many_bytes_behind_is_ejected_for_lag()
    {
        var health = Up();

        var transition = health.Observe(new CheckResult(true, true, 1001, TimeSpan.FromMilliseconds(100), null), T0);

        Assert.Equal(EjectionReason.Lag, transition!.Reason);
        Assert.Contains("1001 bytes", transition.Detail);
    }

    [Fact]
    public void A_replica_behind_for_too_long_is_ejected_for_lag_even_when_few_bytes_behind()
    {
        var health = Up();

        var transition = health.Observe(new CheckResult(true, true, 10, TimeSpan.FromSeconds(6), null), T0);

        Assert.Equal(EjectionReason.Lag, transition!.Reason);
        Assert.Contains("6.0 s", transition.Detail);
    }

    [Fact]
    public void A_replica_within_both_lag_limits_stays_up()
    {
        var health = Up();

        Assert.Null(health.Observe(new CheckResult(true, true, 1000, TimeSpan.FromSeconds(5), null), T0));
        Assert.Equal(BackendState.Up, health.State);
    }

    [Fact]
    public void A_failed_client_connect_ejects_at_once_and_only_once()
    {
        var health = Up();

        Assert.NotNull(health.ConnectFailed("connection refused", T0));
        Assert.Null(health.ConnectFailed("connection refused", T0));
        Assert.Equal((BackendState.Ejected, EjectionReason.Unreachable), (health.State, health.Reason));
    }

    private static BackendHealth Up()
    {
        var health = new BackendHealth(BackendRole.Replica, Options, T0);
        health.Observe(GoodReplica, T0);
        return health;
    }
}
