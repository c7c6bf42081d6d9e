namespace OdooAspire.AppHost.Runtime;

/// <summary>Where the stack's servers run: <c>OdooAspire:Runtime</c>.</summary>
public enum StackRuntime
{
    /// <summary>Containers when a container engine answers, otherwise local processes.</summary>
    Auto,
    /// <summary>Official images (postgres, redis, odoo) under Docker or Podman.</summary>
    Containers,
    /// <summary>Debian's binaries and .NET projects as local processes; no container resource at all.</summary>
    Processes,
}

/// <summary>The runtime this AppHost run uses and the reason, logged once at start.</summary>
public sealed record RuntimeChoice(StackRuntime Runtime, string Reason)
{
    public bool IsContainers => Runtime == StackRuntime.Containers;
}
