namespace OdooAspire.AppHost.Odoo;

/// <summary>One Odoo node (odoo-N): its resource and the two endpoints the gateway routes to.</summary>
public sealed record OdooNode(IResourceBuilder<IResourceWithEndpoints> Resource)
{
    public string Name => Resource.Resource.Name;

    /// <summary>Pages, JSON-RPC and /web/health (8069 in containers).</summary>
    public EndpointReference Http => Resource.GetEndpoint(OdooCluster.HttpEndpointName);

    /// <summary>/websocket, served by Odoo's gevent process when workers &gt; 0 (8072 in containers).</summary>
    public EndpointReference Gevent => Resource.GetEndpoint(OdooCluster.GeventEndpointName);
}

/// <summary>The Odoo nodes, odoo-1 … odoo-N, and the one-shot resource that initialises their database.</summary>
public sealed record OdooCluster(IResourceBuilder<IResource> Init, IReadOnlyList<OdooNode> Nodes)
{
    public const string HttpEndpointName = "http";
    public const string GeventEndpointName = "gevent";
    public const string HealthPath = "/web/health";
    public const int ContainerHttpPort = 8069;
    public const int ContainerGeventPort = 8072;
}
