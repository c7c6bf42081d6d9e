using Microsoft.Extensions.Diagnostics.HealthChecks;
using OdooAspire.ReplicaRouter.Backends;

namespace OdooAspire.ReplicaRouter.Status;

/// <summary>
/// Healthy when a new connection would land on a replica; degraded (still 200) when only the primary
/// fallback serves; unhealthy before the first checks and when no backend would serve.
/// </summary>
public sealed class RouterHealthCheck(BackendPool pool, BackendMonitor monitor) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!monitor.FirstRoundDone)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("backends not checked yet"));
        }

        var (serving, onReplicas) = pool.Selector.Readiness();
        var states = string.Join(", ", pool.All.Select(b => $"{b.Name}: {b.Health.State}"));
        return Task.FromResult(
            onReplicas ? HealthCheckResult.Healthy(states)
            : serving ? HealthCheckResult.Degraded($"no healthy replica, serving from the primary; {states}")
            : HealthCheckResult.Unhealthy($"no backend would serve a new connection; {states}"));
    }
}
