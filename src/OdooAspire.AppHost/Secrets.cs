namespace OdooAspire.AppHost;

/// <summary>The stack's secrets: Aspire parameters, generated when not given, never literals.</summary>
public static class Secrets
{
    /// <summary>
    /// A secret parameter taken from configuration (<c>Parameters:&lt;name&gt;</c>) or generated once and kept in
    /// the AppHost's user secrets, so data in container volumes stays readable across runs. No special characters:
    /// the value travels in connection strings, odoo.conf and Redis URLs.
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddSecret(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true);
}
