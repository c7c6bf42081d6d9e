using Microsoft.Extensions.Options;
using OdooAspire.ReplicaRouter;
using OdooAspire.ReplicaRouter.Proxy;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>Which connection makes room when the starting budget is full, and how sessions past it are counted.</summary>
public sealed class ClientBudgetTests
{
    private readonly ClientBudget _budget = new(Options.Create(new ReplicaRouterOptions { MaxStartingClients = 2, MaxClients = 3 }));

    [Fact]
    public void A_newcomer_over_the_starting_budget_evicts_the_connection_that_has_waited_longest()
    {
        var (first, second) = (_budget.Start(), _budget.Start());

        var third = _budget.Start();

        Assert.True(first.Evicted.IsCancellationRequested);
        Assert.False(second.Evicted.IsCancellationRequested);
        Assert.False(third.Evicted.IsCancellationRequested);
        Assert.Equal((2, 1L), (_budget.Starting, _budget.StartingEvicted));
    }

    [Fact]
    public void A_connection_past_its_startup_phase_is_never_evicted_and_frees_its_starting_place()
    {
        var finished = _budget.Start();
        var waiting = _budget.Start();
        finished.Dispose();

        _budget.Start();

        Assert.False(finished.Evicted.IsCancellationRequested);
        Assert.False(waiting.Evicted.IsCancellationRequested);
        Assert.Equal((2, 0L), (_budget.Starting, _budget.StartingEvicted));
    }

    [Fact]
    public void Sessions_past_the_startup_phase_count_against_max_clients_only()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.True(_budget.TryTakeClient());
        }

        Assert.False(_budget.TryTakeClient());
        _budget.Start();
        _budget.Start();
        Assert.Equal((3, 2, 1L), (_budget.Clients, _budget.Starting, _budget.MaxClientsRefused));

        _budget.ReleaseClient();
        Assert.True(_budget.TryTakeClient());
    }
}
