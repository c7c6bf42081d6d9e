using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using System.Globalization;
using OdooAspire.AppHost.Runtime;

using OdooAspire.Odoo;

namespace OdooAspire.AppHost.Odoo;

/// <summary>
/// What one node's odoo.conf is made of, as references into the model (endpoints, parameters). Resolved when
/// the node starts, from the node's point of view: a container sees its peers on the container network,
/// a process sees loopback ports.
/// </summary>
public sealed record OdooConfTemplate
{
    public required ReferenceExpression DbHost { get; init; }
    public required ReferenceExpression DbPort { get; init; }
    public required ParameterResource DbPassword { get; init; }
    public required ReferenceExpression DbReplicaHost { get; init; }
    public required ReferenceExpression DbReplicaPort { get; init; }
    public required ParameterResource MasterPassword { get; init; }
    public required OdooSettings Settings { get; init; }
    public required string DataDir { get; init; }
    public required IReadOnlyList<string> AddonsPath { get; init; }
    public string? HttpInterface { get; init; }
    public ReferenceExpression? HttpPort { get; init; }
    public ReferenceExpression? GeventPort { get; init; }

    /// <summary>The conf as <paramref name="caller"/> must see it.</summary>
    public async Task<OdooConf> ResolveAsync(IResource caller, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        var context = new ValueProviderContext { Caller = caller, ExecutionContext = executionContext };
        async Task<string> Value(ReferenceExpression expression) =>
            await expression.GetValueAsync(context, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{caller.Name}: '{expression.ValueExpression}' has no value yet");
        async Task<int> Port(ReferenceExpression expression) => int.Parse(await Value(expression).ConfigureAwait(false), CultureInfo.InvariantCulture);
        async Task<string> Secret(ParameterResource parameter) =>
            await parameter.GetValueAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{caller.Name}: parameter {parameter.Name} has no value");

        return new OdooConf
        {
            DbHost = await Value(DbHost).ConfigureAwait(false),
            DbPort = await Port(DbPort).ConfigureAwait(false),
            DbUser = OdooSettings.DbUser,
            DbPassword = await Secret(DbPassword).ConfigureAwait(false),
            DbReplicaHost = await Value(DbReplicaHost).ConfigureAwait(false),
            DbReplicaPort = await Port(DbReplicaPort).ConfigureAwait(false),
            Database = Settings.Database,
            DataDir = DataDir,
            AdminPasswd = await Secret(MasterPassword).ConfigureAwait(false),
            Workers = Settings.Workers,
            MaxCronThreads = Settings.CronThreads,
            ServerWideModules = OdooSettings.ServerWideModules,
            AddonsPath = AddonsPath,
            HttpInterface = HttpInterface,
            HttpPort = HttpPort is null ? null : await Port(HttpPort).ConfigureAwait(false),
            GeventPort = GeventPort is null ? null : await Port(GeventPort).ConfigureAwait(false),
        };
    }
}

/// <summary>
/// Marks a resource whose odoo.conf is rendered at <see cref="Path"/> (on this machine) each time it starts.
/// </summary>
public sealed class OdooConfAnnotation(OdooConfTemplate template, string path) : IResourceAnnotation
{
    public OdooConfTemplate Template { get; } = template;

    public string Path { get; } = path;
}

/// <summary>Renders odoo.conf for every Odoo resource just before it starts.</summary>
public static class OdooConfFiles
{
    /// <summary>Attaches <paramref name="template"/> to the resource and writes its conf to <paramref name="path"/> at every start.</summary>
    public static IResourceBuilder<T> WithOdooConf<T>(this IResourceBuilder<T> resource, OdooConfTemplate template, string path) where T : IResource
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
