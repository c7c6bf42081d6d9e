using OdooAspire;
using OdooAspire.AppHost.Postgres;
using OdooAspire.AppHost.Redis;
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

    // Until the replica router lands, Odoo's read-only connections go straight to the first replica.
    var replicaEndpoint = postgres.Replicas.Count > 0 ? postgres.Replicas[0].Endpoint : postgres.Primary.Endpoint;
    var odoo = builder.AddOdooCluster(runtime, postgres, redis, replicaEndpoint);
    var gateway = builder.AddGateway(ResourceNames.Gateway, odoo.Nodes.Select(node => node.Resource));
    builder.AddEdge(ResourceNames.Edge, runtime, gateway);

    builder.Build().Run();
    return 0;
}
catch (MissingPrerequisiteException ex)
{
    Console.Error.WriteLine($"OdooAspire: {ex.Message}");
    return 2;
}
