namespace OdooAspire.Tests.Infrastructure;

/// <summary>Resolves what a resource would be started with, from a model that is built but not run.</summary>
public static class ModelValues
{
    /// <summary>Gives every endpoint of a process-runtime model an address, as DCP would, so values that name ports resolve.</summary>
    public static void AllocateEndpoints(IDistributedApplicationTestingBuilder builder)
    {
        var port = 40000;
        foreach (var endpoint in builder.Resources.SelectMany(r => r.Annotations.OfType<EndpointAnnotation>()))
        {
            endpoint.AllocatedEndpoint = new AllocatedEndpoint(endpoint, "127.0.0.1", port++);
        }
    }

    /// <summary>
    /// Gives the projects' endpoints what a container-runtime run allocates: a host port, and the address containers reach
    /// it by (projects run on the host in both runtimes), so container values that name a project resolve.
    /// </summary>
    public static void AllocateProjectEndpointsForContainers(IDistributedApplicationTestingBuilder builder, string containerHostAlias, int firstPort)
    {
        var port = firstPort;
        foreach (var endpoint in builder.Resources.OfType<ProjectResource>().SelectMany(p => p.Annotations.OfType<EndpointAnnotation>()))
        {
            endpoint.AllocatedEndpoint ??= new AllocatedEndpoint(endpoint, "localhost", port);
            endpoint.AllAllocatedEndpoints.AddOrUpdateAllocatedEndpoint(
                KnownNetworkIdentifiers.DefaultAspireContainerNetwork,
                new AllocatedEndpoint(endpoint, containerHostAlias, port, EndpointBindingMode.SingleAddress, null, KnownNetworkIdentifiers.DefaultAspireContainerNetwork));
            port++;
        }
    }

#pragma warning disable CS0618 // ExecutionConfigurationBuilder needs a running app's execution context; these reads are model-only.
    public static ValueTask<Dictionary<string, string>> EnvironmentAsync(IResource resource) =>
        ((IResourceWithEnvironment)resource).GetEnvironmentVariableValuesAsync();

    public static ValueTask<string[]> ArgumentsAsync(IResource resource) =>
        ((IResourceWithArgs)resource).GetArgumentValuesAsync();
#pragma warning restore CS0618
}
