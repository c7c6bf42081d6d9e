using System.Globalization;
using OdooAspire.Odoo;

namespace OdooAspire.AppHost.Odoo;

/// <summary>
/// What one node's odoo.conf is made of, as references into the model (endpoints, parameters). Resolved when
/// the node starts, from the node's point of view: a container sees its peers on the container network,
/// a process sees loopback ports.
/// </summary>
public sealed partial record OdooConfTemplate
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

    /// <summary>
    /// The conf's text as a reference expression, resolved by whoever starts the resource (Aspire locally, the
    /// deployment otherwise): a container gets it in its environment and writes it itself, so no file is mounted.
    /// The text comes from <see cref="OdooConf.Render"/>, with markers where a value is only known at start.
    /// </summary>
    public ReferenceExpression Expression()
    {
        var references = new List<object>();
        string Text(object reference)
        {
            references.Add(reference);
            return $"\u0001{references.Count - 1}\u0001";
        }

        int Number(object reference)
        {
            references.Add(reference);
            return -references.Count;
        }

        var marked = new OdooConf
        {
            DbHost = Text(DbHost),
            DbPort = Number(DbPort),
            DbUser = OdooSettings.DbUser,
            DbPassword = Text(DbPassword),
            DbReplicaHost = Text(DbReplicaHost),
            DbReplicaPort = Number(DbReplicaPort),
            Database = Settings.Database,
            DataDir = DataDir,
            AdminPasswd = Text(MasterPassword),
            Workers = Settings.Workers,
            MaxCronThreads = Settings.CronThreads,
            ServerWideModules = OdooSettings.ServerWideModules,
            AddonsPath = AddonsPath,
            HttpInterface = HttpInterface,
            HttpPort = HttpPort is null ? null : Number(HttpPort),
            GeventPort = GeventPort is null ? null : Number(GeventPort),
        }.Render();

        var expression = new ReferenceExpressionBuilder();
        var last = 0;
        foreach (System.Text.RegularExpressions.Match marker in Markers().Matches(marked))
        {
            expression.AppendLiteral(marked[last..marker.Index]);
            var index = marker.Groups["text"].Success
                ? int.Parse(marker.Groups["text"].Value, CultureInfo.InvariantCulture)
                : int.Parse(marker.Groups["number"].Value, CultureInfo.InvariantCulture) - 1;
            expression.AppendValueProvider(references[index]);
            last = marker.Index + marker.Length;
        }

        expression.AppendLiteral(marked[last..]);
        return expression.Build();
    }

    // A text marker anywhere, or a negative number standing alone as a value ("key = -3").
    [System.Text.RegularExpressions.GeneratedRegex("\u0001(?<text>\\d+)\u0001|(?<= = )-(?<number>\\d+)(?=\n)")]
    private static partial System.Text.RegularExpressions.Regex Markers();

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
