using Microsoft.Extensions.Options;
using OdooAspire.ReplicaRouter;
using OdooAspire.ReplicaRouter.Backends;
using OdooAspire.ReplicaRouter.Proxy;
using OdooAspire.ReplicaRouter.Status;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddServiceDefaults();

builder.Services.AddOptions<ReplicaRouterOptions>()
    .Bind(builder.Configuration.GetSection(ReplicaRouterOptions.SectionName))
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<BackendPool>();
builder.Services.AddSingleton<CancelRegistry>();
builder.Services.AddSingleton<RouterMetrics>();
builder.Services.AddSingleton<BackendMonitor>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<BackendMonitor>());
builder.Services.AddSingleton<RouterListener>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<RouterListener>());
builder.Services.AddHealthChecks().AddCheck<RouterHealthCheck>("backends");

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGet("/status", (BackendPool pool, RouterListener listener, CancelRegistry cancels, IOptions<ReplicaRouterOptions> options) =>
    Results.Json(RouterStatus.From(pool, listener, cancels, options.Value), RouterStatusJsonContext.Default.RouterStatus));

// Created eagerly so the instruments exist before the first export.
app.Services.GetRequiredService<RouterMetrics>();
app.Run();
