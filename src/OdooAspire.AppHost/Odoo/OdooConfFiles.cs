using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OdooAspire.Odoo;

namespace OdooAspire.AppHost.Odoo;

/// <summary>Renders odoo.conf for every Odoo resource just before it starts.</summary>
public static class OdooConfFiles
{
    /// <summary>The container's copy of its conf, written by the node image's entrypoint to <c>ODOO_RC</c>.</summary>
    public const string EnvironmentVariable = "ODOOASPIRE_ODOO_CONF";

    /// <summary>
    /// Hands <paramref name="template"/> to a container in its environment; the image's entrypoint writes it to
    /// <paramref name="containerPath"/> (Odoo's <c>ODOO_RC</c>). Nothing is mounted, so the same model deploys.
    /// </summary>
    public static IResourceBuilder<T> WithOdooConfInEnvironment<T>(this IResourceBuilder<T> resource, OdooConfTemplate template, string containerPath)
        where T : IResourceWithEnvironment =>
        resource.WithAnnotation(new OdooConfAnnotation(template, containerPath))
            .WithEnvironment(EnvironmentVariable, template.Expression())
            .WithEnvironment("ODOO_RC", containerPath);

    /// <summary>
    /// Attaches <paramref name="template"/> to the resource and writes its conf to <paramref name="path"/> at every
    /// start, readable by its owner only.
    /// </summary>
    public static IResourceBuilder<T> WithOdooConf<T>(this IResourceBuilder<T> resource, OdooConfTemplate template, string path)
        where T : IResource
    {
        resource.WithAnnotation(new OdooConfAnnotation(template, path));
        resource.ApplicationBuilder.Eventing.Subscribe<BeforeResourceStartedEvent>(resource.Resource, async (e, cancellationToken) =>
        {
            var executionContext = e.Services.GetRequiredService<DistributedApplicationExecutionContext>();
            try
            {
                var conf = await template.ResolveAsync(e.Resource, executionContext, cancellationToken).ConfigureAwait(false);
                await WriteAsync(path, conf, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or FormatException or UnauthorizedAccessException)
            {
                // Shown in the resource's own log on the dashboard, where whoever sees it fail will look.
                e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(e.Resource)
                    .LogError("Could not render {Path}: {Reason}", path, ex.Message);
                throw;
            }
        });
        return resource;
    }

    /// <summary>Writes the conf readable by its owner only: it holds the database and master passwords.</summary>
    public static async Task WriteAsync(string path, OdooConf conf, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var file = new FileStream(path, options);
        await using var writer = new StreamWriter(file);
        await writer.WriteAsync(conf.Render().AsMemory(), cancellationToken).ConfigureAwait(false);
    }
}
