using OdooAspire.ReplicaRouter.Backends;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>Replication lag as the router measures it: bytes from WAL positions, time only while bytes are behind.</summary>
public sealed class LagTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 6, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_idle_primary_does_not_make_a_caught_up_replica_look_stale()
    {
        var tracker = new LagTracker(TimeSpan.FromMinutes(10));
        tracker.RecordPrimary(5000, T0);
        tracker.RecordPrimary(5000, T0.AddHours(1));

        Assert.Equal((0L, TimeSpan.Zero), tracker.LagOf(5000, T0.AddHours(1)));
    }

    [Fact]
    public void After_a_long_idle_period_the_time_lag_counts_from_the_write_not_from_the_last_replayed_transaction()
    {
        var tracker = new LagTracker(TimeSpan.FromMinutes(10));
        tracker.RecordPrimary(5000, T0);
        tracker.RecordPrimary(7000, T0.AddHours(1));

        var (bytes, time) = tracker.LagOf(5000, T0.AddHours(1).AddSeconds(2));

        Assert.Equal(2000, bytes);
        Assert.Equal(TimeSpan.FromSeconds(2), time);
    }

    [Fact]
    public void A_replica_keeps_its_lag_from_the_first_write_it_has_not_replayed()
    {
        var tracker = new LagTracker(TimeSpan.FromMinutes(10));
        tracker.RecordPrimary(1000, T0);
        tracker.RecordPrimary(2000, T0.AddSeconds(1));
        tracker.RecordPrimary(3000, T0.AddSeconds(2));

        Assert.Equal((2000L, TimeSpan.FromSeconds(9)), tracker.LagOf(1000, T0.AddSeconds(10)));
        Assert.Equal((1000L, TimeSpan.FromSeconds(8)), tracker.LagOf(2000, T0.AddSeconds(10)));
    }

    [Fact]
    public void A_replica_seen_ahead_of_the_last_primary_sample_has_no_lag()
    {
        var tracker = new LagTracker(TimeSpan.FromMinutes(10));
        tracker.RecordPrimary(1000, T0);

        Assert.Equal((0L, TimeSpan.Zero), tracker.LagOf(1500, T0.AddSeconds(1)));
    }

    [Fact]
    public void Without_a_primary_sample_the_lag_is_unknown()
    {
        Assert.Equal((null, null), new LagTracker(TimeSpan.FromMinutes(1)).LagOf(1000, T0));
    }
}
