using System.Net;
using OdooAspire.ReplicaRouter;
using OdooAspire.ReplicaRouter.Backends;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>Which backend a new client connection goes to.</summary>
public sealed class BackendSelectorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 6, 0, 0, TimeSpan.Zero);
    private static readonly ReplicaRouterOptions Options = new();

    [Fact]
    public void The_replica_with_fewest_connections_is_tried_first()
    {
        var (r1, r2, primary) = (Up("r1"), Up("r2"), Up("primary", BackendRole.Primary));
        r1.Attach(new Session());
        var selector = new BackendSelector([r1, r2], primary, NoReplicaMode.Primary);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(["r2", "r1", "primary"], selector.Candidates().Select(b => b.Name));
        }
    }

    [Fact]
    public void Replicas_with_equal_load_take_turns()
    {
        var selector = new BackendSelector([Up("r1"), Up("r2")], null, NoReplicaMode.Primary);

        var firsts = Enumerable.Range(0, 4).Select(_ => selector.Candidates()[0].Name).ToList();

        Assert.Equal(2, firsts.Count(n => n == "r1"));
        Assert.Equal(2, firsts.Count(n => n == "r2"));
    }

    [Fact]
    public void Ejected_and_unchecked_replicas_are_skipped()
    {
        var ejected = Up("r1");
        ejected.Health.ConnectFailed("refused", T0);
        var selector = new BackendSelector([ejected, Backend("r2"), Up("r3")], null, NoReplicaMode.Primary);

        Assert.Equal(["r3"], selector.Candidates().Select(b => b.Name));
    }

    [Fact]
    public void With_no_healthy_replica_the_primary_serves_by_default()
    {
        var down = Up("r1");
        down.Health.ConnectFailed("refused", T0);
        var selector = new BackendSelector([down], Up("primary", BackendRole.Primary), NoReplicaMode.Primary);

        Assert.Equal(["primary"], selector.Candidates().Select(b => b.Name));
        Assert.Equal((true, false), selector.Readiness());
    }

    [Fact]
    public void With_no_healthy_replica_refuse_mode_offers_nothing()
    {
        var down = Up("r1");
        down.Health.ConnectFailed("refused", T0);
        var selector = new BackendSelector([down], Up("primary", BackendRole.Primary), NoReplicaMode.Refuse);

        Assert.Empty(selector.Candidates());
        Assert.Equal((false, false), selector.Readiness());
    }

    [Fact]
    public void An_ejected_primary_is_not_offered_as_fallback()
    {
        var primary = Up("primary", BackendRole.Primary);
        primary.Health.ConnectFailed("refused", T0);
        var selector = new BackendSelector([Up("r1")], primary, NoReplicaMode.Primary);

        Assert.Equal(["r1"], selector.Candidates().Select(b => b.Name));
    }

    private static Backend Backend(string name, BackendRole role = BackendRole.Replica) =>
        new(name, role, new IPEndPoint(IPAddress.Loopback, 5432), "Host=127.0.0.1", new BackendHealth(role, Options, T0));

    private static Backend Up(string name, BackendRole role = BackendRole.Replica)
    {
        var backend = Backend(name, role);
        backend.Health.Observe(new CheckResult(true, role == BackendRole.Replica, 0, TimeSpan.Zero, null), T0);
        return backend;
    }

    private sealed class Session : IBackendSession
    {
        public void Abort(string reason)
        {
        }

        public void CloseWhenIdle(string reason)
        {
        }

        public bool RelayedInKernel => false;

        public (long ToBackend, long ToClient) KernelBytes => default;
    }
}
