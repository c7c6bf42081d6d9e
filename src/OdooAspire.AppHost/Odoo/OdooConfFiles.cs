using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OdooAspire.Odoo;

namespace OdooAspire.AppHost.Odoo;

/// <summary>Renders odoo.conf for every Odoo resource just before it starts.</summary>
public static class OdooConfFiles
{
    /// <summary>
    /// Attaches <paramref name="template"/> to the resource and writes its conf to <paramref name="path"/> at every
    /// start; <paramref name="mountedIntoContainer"/> when a container's own user (odoo, not this one) reads it.
    /// </summary>
    public static IResourceBuilder<T> WithOdooConf<T>(this IResourceBuilder<T> resource, OdooConfTemplate template, string path, bool mountedIntoContainer = false)
        where T : IResource
    {
        resource.WithAnnotation(new OdooConfAnnotation(template, path));
        resource.ApplicationBuilder.Eventing.Subscribe<BeforeResourceStartedEvent>(resource.Resource, async (e, cancellationToken) =>
        {
            var executionContext = e.Services.GetRequiredService<DistributedApplicationExecutionContext>();
            try
            {
                var conf = await template.ResolveAsync(e.Resource, executionContext, cancellationToken).ConfigureAwait(false);
                await WriteAsync(path, conf, mountedIntoContainer, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// Writes the conf readable by its owner only: it holds the database and master passwords. A conf mounted into
    /// a container must be readable by the container's user; the folder above the mount stays private instead.
    /// </summary>
    public static async Task WriteAsync(string path, OdooConf conf, bool mountedIntoContainer, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite
                | (mountedIntoContainer ? UnixFileMode.GroupRead | UnixFileMode.OtherRead : UnixFileMode.None);
        }

        await using var file = new FileStream(path, options);
        await using var writer = new StreamWriter(file);
        await writer.WriteAsync(conf.Render().AsMemory(), cancellationToken).ConfigureAwait(false);
    }
}
