using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OdooAspire.AppHost.Runtime;

/// <summary>
/// Logs one line when every resource that has a health check is healthy, with the time since the AppHost
/// process started: the moment a user can start working, and what bench/startup measures.
/// </summary>
public static class StackReadiness
{
    public const string ReadyMessagePrefix = "OdooAspire stack ready:";

    public static IDistributedApplicationBuilder LogWhenHealthy(this IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return builder;
        }

        builder.Eventing.Subscribe<AfterResourcesCreatedEvent>((e, cancellationToken) =>
        {
            var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OdooAspire.Readiness");
            var watched = e.Model.Resources.Where(r => r.Annotations.OfType<HealthCheckAnnotation>().Any()).Select(r => r.Name).ToList();
            _ = Task.Run(async () =>
            {
                try
                {
                    await Task.WhenAll(watched.Select(name => notifications.WaitForResourceHealthyAsync(name, cancellationToken)));
                    var elapsed = DateTime.Now - Process.GetCurrentProcess().StartTime;
                    logger.LogInformation("{Prefix} {Count} resources healthy {Seconds:0.0} s after the AppHost started",
                        ReadyMessagePrefix, watched.Count, elapsed.TotalSeconds);
                }
                catch (OperationCanceledException)
                {
                }
            }, CancellationToken.None);
            return Task.CompletedTask;
        });
        return builder;
    }
}
