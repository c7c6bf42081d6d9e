using System.Security.Cryptography;
using OdooAspire.AppHost.Odoo;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Odoo;

/// <summary>
/// The stack on the process runtime with the Odoo stand-in in every node slot (or real Odoo when
/// ODOOASPIRE_ODOO_SOURCE names an Odoo 18 source tree), every node healthy.
/// </summary>
public sealed class OdooStackFixture : IAsyncLifetime
{
    public const string Database = "odoo";
    public const string SourceVariable = "ODOOASPIRE_ODOO_SOURCE";

    public static readonly string[] Nodes = [ResourceNames.OdooNode(1), ResourceNames.OdooNode(2), ResourceNames.OdooNode(3)];

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The admin password this stack was initialised with (the odoo-admin-password parameter).</summary>
    public string AdminPassword { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    public static string? OdooSource => Environment.GetEnvironmentVariable(SourceVariable) is { Length: > 0 } source ? source : null;

    public async Task InitializeAsync()
    {
        string[] args = [$"--Parameters:{ResourceNames.OdooAdminPassword}={AdminPassword}", $"--{OdooSettings.DatabaseKey}={Database}"];
        if (OdooSource is { } source)
        {
            args = [.. args, $"--{OdooSettings.SourcePathKey}={source}"];
        }

        App = await TestStack.StartAsync(args);
        foreach (var node in Nodes)
        {
            await App.WaitHealthyAsync(node, TimeSpan.FromMinutes(OdooSource is null ? 3 : 10));
        }
    }

    public OdooClient Client(string node) => new(App.GetEndpoint(node, OdooCluster.HttpEndpointName));

    public Uri Gevent(string node) => App.GetEndpoint(node, OdooCluster.GeventEndpointName);

    public async Task<OdooClient> LoggedInClientAsync(string node)
    {
        var client = Client(node);
        var answer = await client.AuthenticateAsync(Database, "admin", AdminPassword);
        Assert.True(answer["error"] is null, $"admin could not log in on {node}: {answer["error"]?.ToJsonString()}");
        return client;
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>The read-mostly Odoo tests share one stack; tests that stop resources get their own.</summary>
[CollectionDefinition(Name)]
public sealed class OdooStackCollection : ICollectionFixture<OdooStackFixture>
{
    public const string Name = "odoo stack";
}
