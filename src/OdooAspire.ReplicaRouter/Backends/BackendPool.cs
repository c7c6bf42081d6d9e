using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Npgsql;

namespace OdooAspire.ReplicaRouter.Backends;

/// <summary>
/// The backends named in configuration (the replicas and the primary, each by its connection string),
/// and the one place their transitions are acted on: logged, counted and, on ejection, their clients closed.
/// </summary>
public sealed partial class BackendPool
{
    private readonly ReplicaRouterOptions _options;
    private readonly ILogger<BackendPool> _logger;
    private readonly TimeProvider _time;

    public BackendPool(IOptions<ReplicaRouterOptions> options, IConfiguration configuration, ILogger<BackendPool> logger, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        _time = time;
        var replicas = _options.Replicas.Select(name => Create(name, BackendRole.Replica, configuration)).ToList();
        var primary = string.IsNullOrWhiteSpace(_options.Primary) ? null : Create(_options.Primary, BackendRole.Primary, configuration);
        if (replicas.Count == 0 && primary is null)
        {
            throw new InvalidOperationException(
                $"{ReplicaRouterOptions.SectionName}: no backends: set {ReplicaRouterOptions.SectionName}:Replicas:0 (and :Primary) to connection-string names");
        }

        All = [.. replicas, .. primary is null ? [] : new[] { primary }];
        Selector = new BackendSelector(replicas, primary, _options.WhenNoReplica);
    }

    public IReadOnlyList<Backend> All { get; }

    public BackendSelector Selector { get; }

    public LagTracker Lag { get; } = new(TimeSpan.FromMinutes(10));

    /// <summary>Logs a state change and, when a backend is ejected, closes its clients so their pools reconnect elsewhere.</summary>
    public void Apply(Backend backend, BackendTransition? transition)
    {
        if (transition is null)
        {
            return;
        }

        if (transition.To == BackendState.Ejected)
        {
            Ejections?.Invoke(backend, transition.Reason);
            // A dead server's sessions are gone anyway; a lagging one's finish their transaction first, so no read in flight fails.
            var closed = _options.CloseClientsOnEjection
                ? backend.CloseSessions($"{backend.Name} was ejected: {transition.Detail}", atOnce: transition.Reason == EjectionReason.Unreachable)
                : 0;
            LogEjected(backend.Name, transition.Reason, transition.Detail, closed);
        }
        else
        {
            LogAdmitted(backend.Name, transition.From, transition.Detail);
        }
    }

    /// <summary>Raised on every ejection (the metrics count them).</summary>
    public event Action<Backend, EjectionReason>? Ejections;

    public DateTimeOffset Now => _time.GetUtcNow();

    private Backend Create(string name, BackendRole role, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(name)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{name} is not set: the AppHost passes one per backend (WithReference); set ConnectionStrings__{name} when running the router by hand");
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(csb.Host))
        {
            throw new InvalidOperationException($"ConnectionStrings:{name} has no Host");
        }

        var endPoint = new IPEndPoint(Resolve(csb.Host), csb.Port);
        return new Backend(name, role, endPoint, connectionString, new BackendHealth(role, _options, _time.GetUtcNow()));
    }

    /// <summary>Resolved once: a client's connect should not wait on name resolution. IPv4 first, as the servers listen on 127.0.0.1.</summary>
    private static IPAddress Resolve(string host)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }

        var addresses = Dns.GetHostAddresses(host);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault()
            ?? throw new InvalidOperationException($"backend host '{host}' does not resolve");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {Backend} ejected ({Reason}): {Detail}; closing its {Closed} client connection(s)")]
    private partial void LogEjected(string backend, EjectionReason reason, string detail, int closed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backend {Backend} admitted (was {From}): {Detail}")]
    private partial void LogAdmitted(string backend, BackendState from, string detail);
}
