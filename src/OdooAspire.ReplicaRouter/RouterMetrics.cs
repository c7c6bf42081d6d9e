using System.Diagnostics.Metrics;
using OdooAspire.ReplicaRouter.Backends;
using OdooAspire.ReplicaRouter.Proxy;

namespace OdooAspire.ReplicaRouter;

/// <summary>
/// The router's OpenTelemetry instruments on the shared OdooAspire meter, each per backend (tag
/// <c>backend</c>): active connections, bytes each way, state, lag; plus ejections, refusals and connections in their startup phase.
/// </summary>
public sealed class RouterMetrics
{
    private readonly Counter<long> _refused;

    public RouterMetrics(IMeterFactory meterFactory, BackendPool pool, ClientBudget budget)
    {
        var meter = meterFactory.Create(Telemetry.MeterName);
        meter.CreateObservableUpDownCounter("odooaspire.replica_router.connections.active",
            () => pool.All.Select(b => new Measurement<int>(b.ActiveConnections, Tag(b))), "{connection}", "Client connections relayed to the backend now");
        meter.CreateObservableCounter("odooaspire.replica_router.connections",
            () => pool.All.Select(b => new Measurement<long>(b.ConnectionsTotal, Tag(b))), "{connection}", "Client connections relayed to the backend since start");
        meter.CreateObservableCounter("odooaspire.replica_router.bytes.to_backend",
            () => pool.All.Select(b => new Measurement<long>(b.BytesToBackend, Tag(b))), "By", "Bytes relayed from clients to the backend");
        meter.CreateObservableCounter("odooaspire.replica_router.bytes.to_client",
            () => pool.All.Select(b => new Measurement<long>(b.BytesToClient, Tag(b))), "By", "Bytes relayed from the backend to clients");
        meter.CreateObservableGauge("odooaspire.replica_router.backend.up",
            () => pool.All.Select(b => new Measurement<int>(b.IsUp ? 1 : 0, Tag(b), new("reason", b.Health.Reason.ToString()))), null, "1 when the backend takes new connections, 0 when ejected or not yet checked");
        meter.CreateObservableGauge("odooaspire.replica_router.backend.lag.bytes",
            () => pool.All.Where(b => b.Health.LagBytes is not null).Select(b => new Measurement<long>(b.Health.LagBytes!.Value, Tag(b))), "By", "WAL bytes the replica's replay is behind the primary");
        meter.CreateObservableGauge("odooaspire.replica_router.backend.lag.time",
            () => pool.All.Where(b => b.Health.LagTime is not null).Select(b => new Measurement<double>(b.Health.LagTime!.Value.TotalSeconds, Tag(b))), "s", "How long the replica has been behind the primary");
        var ejections = meter.CreateCounter<long>("odooaspire.replica_router.ejections", "{ejection}", "Backends taken out of rotation");
        pool.Ejections += (backend, reason) => ejections.Add(1, Tag(backend), new("reason", reason.ToString()));
        meter.CreateObservableUpDownCounter("odooaspire.replica_router.connections.starting",
            () => budget.Starting, "{connection}", "Client connections in their startup phase now (ReplicaRouter:MaxStartingClients)");
        _refused = meter.CreateCounter<long>("odooaspire.replica_router.connections.refused", "{connection}", "Client connections the router answered with an error");
    }

    public void Refused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    private static KeyValuePair<string, object?> Tag(Backend backend) => new("backend", backend.Name);
}
