using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace OdooAspire.Tests.Gateway;

/// <summary>The gateway's OpenTelemetry instruments (meter OdooAspire) count per node, so the dashboard shows load per node.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Requests_retries_and_health_transitions_are_counted_per_node()
    {
        var measurements = new ConcurrentQueue<(object? Scope, string Instrument, long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Telemetry.MeterName && instrument.Name.StartsWith("odooaspire.gateway.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            measurements.Enqueue((instrument.Meter.Scope, instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.Start();

        await using var gateway = await InProcessGateway.StartAsync(settings: new Dictionary<string, string?> { ["Weights:odoo-1"] = "1000000" });
        await gateway["odoo-1"].StopAsync();
        for (var i = 0; i < 10; i++)
        {
            using var response = await gateway.Client.GetAsync("/odoo");
        }

        // Only this gateway's meter (scoped to its meter factory): other gateways of the test run may still report.
        var factory = gateway.Services.GetRequiredService<IMeterFactory>();
        var all = measurements.Where(m => ReferenceEquals(m.Scope, factory)).ToList();
        Assert.Contains(all, m => m.Instrument == "odooaspire.gateway.requests" && (string?)m.Tags["node"] == "odoo-1" && (string?)m.Tags["outcome"] == "failed");
        var served = all.Where(m => m.Instrument == "odooaspire.gateway.requests" && (string?)m.Tags["outcome"] == "served").ToList();
        // At least one per request (a request slowed past the hedging delay on a busy machine counts twice).
        Assert.True(served.Count >= 10, $"{served.Count} served");
        Assert.DoesNotContain(served, m => (string?)m.Tags["node"] == "odoo-1");
        Assert.Contains(all, m => m.Instrument == "odooaspire.gateway.retries" && (string?)m.Tags["node"] != "odoo-1");
        Assert.Contains(all, m => m.Instrument == "odooaspire.gateway.health_transitions"
            && (string?)m.Tags["node"] == "odoo-1" && (string?)m.Tags["source"] == "passive" && (string?)m.Tags["state"] == "unhealthy");
    }
}
