using System.Text.Json;
using System.Text.Json.Serialization;
using OdooAspire.ReplicaRouter.Backends;
using OdooAspire.ReplicaRouter.Proxy;
using OdooAspire.ReplicaRouter.Relay;

namespace OdooAspire.ReplicaRouter.Status;

/// <summary>The /status document: the router's mode, its two client budgets, and every backend's state, lag and traffic.</summary>
public sealed record RouterStatus(
    string Listen, NoReplicaMode WhenNoReplica, bool Serving, bool OnReplicas, int Clients, int MaxClients, long MaxClientsRefused,
    int StartingClients, int MaxStartingClients, long StartingEvicted, int CancelKeys,
    RelayMode Relay, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? KernelRelayUnavailable,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? KernelRelaySockets,
    IReadOnlyList<BackendStatus> Backends)
{
    public static RouterStatus From(
        BackendPool pool, WarmSockets warm, RouterListener listener, ClientBudget budget, CancelRegistry cancels, RelayEngine relay, ReplicaRouterOptions options)
    {
        var (serving, onReplicas) = pool.Selector.Readiness();
        return new(
            listener.EndPoint?.ToString() ?? "not listening", options.WhenNoReplica, serving, onReplicas,
            budget.Clients, options.MaxClients, budget.MaxClientsRefused, budget.Starting, options.MaxStartingClients, budget.StartingEvicted, cancels.Count,
            relay.Mode, relay.Unavailable, relay.Kernel?.TrackedSockets, [.. pool.All.Select(b => BackendStatus.From(b, warm))]);
    }
}

/// <summary>One backend as /status shows it.</summary>
public sealed record BackendStatus(
    string Name, BackendRole Role, string Address, BackendState State,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EjectionReason? Reason,
    DateTimeOffset Since, DateTimeOffset? LastCheck, string? LastError, long? LagBytes, double? LagSeconds,
    int ActiveConnections, int KernelRelayedConnections, long ConnectionsTotal, long BytesToBackend, long BytesToClient, int WarmConnections)
{
    public static BackendStatus From(Backend backend, WarmSockets warm)
    {
        var health = backend.Health;
        return new(
            backend.Name, backend.Role, backend.EndPoint.ToString(), health.State,
            health.State == BackendState.Ejected ? health.Reason : null,
            health.Since, health.LastCheck, health.LastError, health.LagBytes, health.LagTime?.TotalSeconds,
            backend.ActiveConnections, backend.KernelRelayedConnections, backend.ConnectionsTotal, backend.BytesToBackend, backend.BytesToClient, warm.CountOf(backend));
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, WriteIndented = true)]
[JsonSerializable(typeof(RouterStatus))]
public sealed partial class RouterStatusJsonContext : JsonSerializerContext;
