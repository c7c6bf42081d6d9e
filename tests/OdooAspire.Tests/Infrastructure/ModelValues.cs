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

#pragma warning disable CS0618 // ExecutionConfigurationBuilder needs a running app's execution context; these reads are model-only.
    public static ValueTask<Dictionary<string, string>> EnvironmentAsync(IResource resource) =>
        ((IResourceWithEnvironment)resource).GetEnvironmentVariableValuesAsync();

    public static ValueTask<string[]> ArgumentsAsync(IResource resource) =>
        ((IResourceWithArgs)resource).GetArgumentValuesAsync();
#pragma warning restore CS0618
}
