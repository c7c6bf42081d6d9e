using System.Net;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Gateway;

/// <summary>
/// Users never see a node fail: under bounded load through the gateway (logged-in users doing GETs, reads and
/// writes), the node serving the most traffic is stopped, killed or frozen.
/// </summary>
[Collection(GatewayStackCollection.Name)]
public sealed class GatewayStackTests(GatewayStackFixture stack)
{
    private static readonly TimeSpan LoadDeadline = TimeSpan.FromSeconds(60);

    private static string Busiest(IEnumerable<GatewayLoad.Outcome> outcomes) =>
        outcomes.Where(o => o.Node is not null).GroupBy(o => o.Node!).OrderByDescending(g => g.Count()).First().Key;

    /// <summary>The node goes down on the status page within <paramref name="within"/>, and then gets no attempt at all under load.</summary>
    private async Task AssertOutOfRotationAsync(GatewayLoad load, string node, TimeSpan within)
    {
        await stack.WaitForStateAsync([node], "down", within);
        var sent = await stack.SentAsync(node);
        await load.WaitForMoreAsync(200, LoadDeadline, $"200 requests while {node} is out");
        Assert.Equal(sent, await stack.SentAsync(node));
    }

    private async Task<(GatewayLoad Load, string Node)> StartLoadAsync()
    {
        var load = await GatewayLoad.StartAsync(stack.Gateway, stack.AdminPassword);
        await load.WaitForMoreAsync(200, LoadDeadline, "200 requests through the gateway before the fault");
        return (load, Busiest(load.Outcomes));
    }

    private async Task AssertTrafficReturnsAsync(GatewayLoad load, string node, DateTime after) =>
        await Poll.UntilAsync(
            () => Task.FromResult(load.Outcomes.Count(o => o.Node == node && o.Started > after && !o.Failed)),
            served => served > 0,
            TimeSpan.FromSeconds(15),
            $"traffic back on {node}");

    [Fact]
    public async Task Stopping_the_busiest_node_fails_no_request_and_takes_it_out_of_rotation_at_once()
    {
        var (load, node) = await StartLoadAsync();
        await using (load)
        {
            await stack.App.ResourceCommands.ExecuteCommandAsync(node, KnownResourceCommands.StopCommand);
            await AssertOutOfRotationAsync(load, node, TimeSpan.FromSeconds(1));

            var restartedAt = DateTime.UtcNow;
            await stack.RestartAsync(node);
            await AssertTrafficReturnsAsync(load, node, restartedAt);
            await load.StopAsync();

            var outcomes = load.Outcomes;
            Assert.Empty(outcomes.Where(o => o.Failed).Select(o => $"{o.Kind} {o.Error}"));
        }
    }

    [Fact]
    public async Task Killing_the_busiest_node_fails_no_read_and_runs_no_write_twice()
    {
        var (load, node) = await StartLoadAsync();
        await using (load)
        {
            GatewayStackFixture.Signal(stack.Processes(node), "KILL");
            await AssertOutOfRotationAsync(load, node, TimeSpan.FromSeconds(1));

            var restartedAt = DateTime.UtcNow;
            await stack.RestartAsync(node);
            await AssertTrafficReturnsAsync(load, node, restartedAt);
            await load.StopAsync();

            var outcomes = load.Outcomes;
            Assert.Empty(outcomes.Where(o => o.IsRead && o.Failed).Select(o => $"{o.Kind} {o.Error}"));
            var writes = outcomes.Where(o => o.Kind == GatewayLoad.Kind.Write).ToList();
            // A write in flight on the killed node may fail, but only with a clean 502.
            Assert.All(writes.Where(w => w.Failed), w => Assert.Equal((int)HttpStatusCode.BadGateway, w.Status));
            var counts = await stack.PartnerCountsAsync(writes.Select(w => w.WriteMarker!));
            Assert.All(counts, count => Assert.Equal(1, count.Value));
            Assert.All(writes.Where(w => !w.Failed), w => Assert.Equal(1, counts.GetValueOrDefault(w.WriteMarker!)));
        }
    }

    [Fact]
    public async Task Freezing_the_busiest_node_for_20_seconds_fails_no_read_and_keeps_every_read_under_5_seconds()
    {
        var (load, node) = await StartLoadAsync();
        await using (load)
        {
            var processes = stack.Processes(node);
            var frozenAt = DateTime.UtcNow;
            GatewayStackFixture.Signal(processes, "STOP");
            try
            {
                await AssertOutOfRotationAsync(load, node, TimeSpan.FromSeconds(2));
                // The freeze itself is the scenario: 20 s of a node that accepts connections and answers nothing.
                await Task.Delay(frozenAt.AddSeconds(20) - DateTime.UtcNow);
            }
            finally
            {
                GatewayStackFixture.Signal(processes, "CONT");
            }

            var resumedAt = DateTime.UtcNow;
            await stack.WaitForStateAsync([node], "up", TimeSpan.FromSeconds(5));
            await AssertTrafficReturnsAsync(load, node, resumedAt);
            await load.StopAsync();

            var reads = load.Outcomes.Where(o => o.IsRead).ToList();
            Assert.Empty(reads.Where(o => o.Failed).Select(o => $"{o.Kind} {o.Error}"));
            Assert.Empty(reads.Where(o => o.Duration > TimeSpan.FromSeconds(5)).Select(o => $"{o.Kind} took {o.Duration.TotalSeconds:0.0} s"));
        }
    }

    [Fact]
    public async Task The_status_page_lists_every_node_up_in_html_and_json()
    {
        var states = await stack.NodeStatesAsync();
        Assert.Equal(Odoo.OdooStackFixture.Nodes, states.Keys.Order());
        Assert.All(states.Values, state => Assert.Equal("up", state));

        var html = await stack.Client.GetStringAsync("/gateway/status");
        Assert.All(Odoo.OdooStackFixture.Nodes, node => Assert.Contains($"<tr class=\"up\"><td>{node}</td>", html));
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayStackCollection : ICollectionFixture<GatewayStackFixture>
{
    public const string Name = "gateway stack";
}
