using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using OdooAspire.Gateway;
using OdooAspire.Gateway.Balancing;
using OdooAspire.Gateway.Health;
using OdooAspire.Gateway.Resilience;
using OdooAspire.Gateway.Routing;
using OdooAspire.Gateway.Security;
using OdooAspire.Gateway.Status;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Transforms;

namespace Microsoft.Extensions.Hosting;

/// <summary>The gateway as two calls: its services (<see cref="AddOdooGateway"/>) and its pipeline (<see cref="MapOdooGateway"/>).</summary>
public static class GatewayExtensions
{
    /// <summary>Adds YARP with routes and clusters from <c>ReverseProxy</c> and the gateway's behaviour from <c>Gateway</c>.</summary>
    public static WebApplicationBuilder AddOdooGateway(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(GatewayOptions.SectionName);
        builder.Services.Configure<GatewayOptions>(section);
        var settings = section.Get<GatewayOptions>() ?? new GatewayOptions();

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.Limits.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = settings.Limits.MaxRequestHeadersTotalBytes;
            kestrel.Limits.RequestHeadersTimeout = settings.Limits.RequestHeadersTimeout;
        });
        builder.Services.Configure<ForwardedHeadersOptions>(options => ForwardedHeadersTrust.Configure(options, settings.TrustedEdges));

        builder.Services.AddSingleton<GatewayStatistics>();
        builder.Services.AddSingleton<RequestClassifier>();
        builder.Services.AddSingleton<BufferBudget>();
        builder.Services.AddSingleton<RequestBuffering>();
        builder.Services.AddSingleton<HostAllowList>();
        builder.Services.AddSingleton<PlainErrors>();
        builder.Services.AddSingleton<DatabaseManagerLockout>();
        builder.Services.AddSingleton<FailoverPipelines>();
        builder.Services.AddSingleton<StatusPage>();
        builder.Services.AddSingleton<WeightedPowerOfTwoChoices>();
        builder.Services.AddSingleton<ILoadBalancingPolicy>(services => services.GetRequiredService<WeightedPowerOfTwoChoices>());
        builder.Services.AddSingleton<TransportFailureEjection>();
        builder.Services.AddSingleton<IPassiveHealthCheckPolicy>(services => services.GetRequiredService<TransportFailureEjection>());
        builder.Services.AddSingleton<IActiveHealthCheckPolicy, ActiveProbePolicy>();

        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddConfigFilter<ClusterDefaults>()
            .AddTransforms(transforms =>
            {
                foreach (var header in ForwardedHeadersTrust.StrippedHeaders)
                {
                    transforms.AddRequestHeaderRemove(header);
                }

                transforms.AddRequestTransform(transform =>
                {
                    // The failover handler needs the request's context to choose and record further attempts.
                    transform.ProxyRequest.Options.Set(NodeFailoverHandler.HttpContextKey, transform.HttpContext);
                    return ValueTask.CompletedTask;
                });
            });
        builder.Services.AddSingleton<IForwarderHttpClientFactory, GatewayHttpClientFactory>();
        return builder;
    }

    /// <summary>Maps /gateway/status and the proxy: host allow-list, buffering, database-manager lock-out, affinity, load balancing, passive health.</summary>
    public static WebApplication MapOdooGateway(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        app.Use(app.Services.GetRequiredService<PlainErrors>().InvokeAsync);
        // With no known proxies ASP.NET Core's middleware would believe any caller: only add it for configured edges.
        if (settings.TrustedEdges.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        if (settings.RedirectToHttps && HasHttpsEndpoint(app.Configuration))
        {
            app.UseHsts();
            app.UseHttpsRedirection();
        }

        var status = app.Services.GetRequiredService<StatusPage>();
        app.MapGet(StatusPage.Path, status.Render);

        var hosts = app.Services.GetRequiredService<HostAllowList>();
        var buffering = app.Services.GetRequiredService<RequestBuffering>();
        var lockout = app.Services.GetRequiredService<DatabaseManagerLockout>();
        app.MapReverseProxy(proxy =>
        {
            proxy.Use(hosts.InvokeAsync);
            proxy.Use(buffering.InvokeAsync);
            proxy.Use(lockout.InvokeAsync);
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return app;
    }

    private static bool HasHttpsEndpoint(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration["HTTPS_PORTS"])
        || (configuration["urls"] ?? "").Contains("https://", StringComparison.OrdinalIgnoreCase);
}
