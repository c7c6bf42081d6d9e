using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OdooAspire.Tests.Infrastructure;

/// <summary>
/// Builds and starts the AppHost under Aspire.Hosting.Testing on the process runtime: real PostgreSQL,
/// Redis and .NET projects on loopback, ports chosen by Aspire.
/// </summary>
public static class TestStack
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The AppHost's model with <paramref name="args"/> (e.g. "--OdooAspire:PostgresReplicas=1"), not started.</summary>
    public static Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(params string[] args) =>
        DistributedApplicationTestingBuilder.CreateAsync<Projects.OdooAspire_AppHost>(
            args,
            (options, _) => options.DisableDashboard = true);

    /// <summary>Builds and starts the stack on the process runtime; every resource is left starting.</summary>
    public static async Task<DistributedApplication> StartAsync(params string[] args)
    {
        var builder = await CreateBuilderAsync(["--OdooAspire:Runtime=Processes", .. args]);
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            // Health checks fail by design until a server is up; tests assert on states, not on these lines.
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None)
            .AddFilter("System.Net.Http.HttpClient", LogLevel.None));

        // No dashboard listens under the test builder: an empty endpoint makes ServiceDefaults skip the
        // exporter, so stopping a project is quick instead of waiting on a dead collector.
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(project).WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", "");
        }

        var app = await builder.BuildAsync();
        using var cts = new CancellationTokenSource(StartTimeout);
        await app.StartAsync(cts.Token);
        return app;
    }

    /// <summary>Waits until <paramref name="resource"/> is healthy, failing the test after the deadline.</summary>
    public static async Task WaitHealthyAsync(this DistributedApplication app, string resource, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? StartTimeout);
        await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
    }

    public static async Task<string> ConnectionStringAsync(this DistributedApplication app, string resource) =>
        await app.GetConnectionStringAsync(resource) ?? throw new InvalidOperationException($"{resource} has no connection string");
}
