namespace OdooAspire.AppHost.Odoo;

/// <summary>
/// Marks a resource whose odoo.conf is rendered at <see cref="Path"/> (on this machine) each time it starts.
/// </summary>
public sealed class OdooConfAnnotation(OdooConfTemplate template, string path) : IResourceAnnotation
{
    public OdooConfTemplate Template { get; } = template;

    public string Path { get; } = path;
}
