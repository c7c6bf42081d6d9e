using Microsoft.Extensions.Options;
using OdooAspire.ReplicaRouter;
using OdooAspire.ReplicaRouter.Backends;
using OdooAspire.ReplicaRouter.Proxy;
using OdooAspire.ReplicaRouter.Relay;
using OdooAspire.ReplicaRouter.Status;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddServiceDefaults();

builder.Services.AddOptions<ReplicaRouterOptions>()
    .Bind(builder.Configuration.GetSection(ReplicaRouterOptions.SectionName))
    .ValidateDataAnnotations()
    .Validate(o => o.WarmConnections == 0 || o.WarmConnectionLifetime >= TimeSpan.FromSeconds(1),
        "ReplicaRouter:WarmConnectionLifetime must be at least 1 s, and below the servers' authentication_timeout (60 s by default)")
    .ValidateOnStart();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<BackendPool>();
builder.Services.AddSingleton<CancelRegistry>();
builder.Services.AddSingleton<RelayEngine>();
builder.Services.AddSingleton<ClientBudget>();
builder.Services.AddSingleton<RouterMetrics>();
builder.Services.AddSingleton<BackendMonitor>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<BackendMonitor>());
builder.Services.AddSingleton<WarmSockets>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<WarmSockets>());
builder.Services.AddSingleton<RouterListener>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<RouterListener>());
builder.Services.AddHealthChecks().AddCheck<RouterHealthCheck>("backends");

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGet("/status", (BackendPool pool, WarmSockets warm, RouterListener listener, ClientBudget budget, CancelRegistry cancels, RelayEngine relay, IOptions<ReplicaRouterOptions> options) =>
    Results.Json(RouterStatus.From(pool, warm, listener, budget, cancels, relay, options.Value), RouterStatusJsonContext.Default.RouterStatus));

// Created eagerly so the instruments exist before the first export, and so Relay=Kernel fails at start when the kernel refuses.
app.Services.GetRequiredService<RouterMetrics>();
app.Services.GetRequiredService<RelayEngine>();
app.Run();
