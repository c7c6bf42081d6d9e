using OdooAspire;
using OdooAspire.AppHost.Postgres;
using OdooAspire.AppHost.Redis;
using OdooAspire.AppHost.ReplicaRouter;
using OdooAspire.AppHost.Runtime;
using OdooAspire.AppHost.Odoo;
using OdooAspire.AppHost.Gateway;
using OdooAspire.AppHost.Edge;

try
{
    var builder = DistributedApplication.CreateBuilder(args);
    var runtime = builder.ChooseRuntime();
    builder.LogWhenHealthy();

    var postgres = builder.AddPostgresWithReplicas(ResourceNames.PostgresPrimary, runtime);
    var redis = builder.AddSessionStore(ResourceNames.Redis, runtime);
    var router = builder.AddReplicaRouter(ResourceNames.ReplicaRouter, runtime, postgres);

    var odoo = builder.AddOdooCluster(runtime, postgres, redis, router.GetEndpoint(ReplicaRouterEndpoints.Postgres));
    var gateway = builder.AddGateway(ResourceNames.Gateway, odoo);
    builder.AddEdge(ResourceNames.Edge, runtime, gateway);

    builder.Build().Run();
    return 0;
}
catch (MissingPrerequisiteException ex)
{
    Console.Error.WriteLine($"OdooAspire: {ex.Message}");
    return 2;
}
