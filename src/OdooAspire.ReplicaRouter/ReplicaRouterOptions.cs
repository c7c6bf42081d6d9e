using System.ComponentModel.DataAnnotations;

namespace OdooAspire.ReplicaRouter;

/// <summary>What the router does when no replica is healthy.</summary>
public enum NoReplicaMode
{
    /// <summary>Serve read-only connections from the primary (safe: Odoo marks them read-only).</summary>
    Primary,

    /// <summary>Refuse at once with an error, so the client falls back by itself.</summary>
    Refuse,
}

/// <summary>Where a session's bytes are relayed once its startup phase is over.</summary>
public enum RelayMode
{
    /// <summary>In the kernel when it allows it (Linux, CAP_BPF and CAP_NET_ADMIN), otherwise in user space.</summary>
    Auto,

    /// <summary>In the kernel (BPF socket map); the router does not start when the kernel refuses.</summary>
    Kernel,

    /// <summary>By the router's own socket-to-socket copy.</summary>
    UserSpace,
}

/// <summary>The router's settings, bound from the <c>ReplicaRouter</c> configuration section (the AppHost passes the backends).</summary>
public sealed class ReplicaRouterOptions
{
    public const string SectionName = "ReplicaRouter";

    /// <summary>Address the PostgreSQL endpoint listens on; loopback unless a deployment says otherwise.</summary>
    [Required]
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>Port of the PostgreSQL endpoint (the AppHost allocates it).</summary>
    [Range(1, 65535, ErrorMessage = "ReplicaRouter:ListenPort is not set or out of range: the AppHost passes it (ReplicaRouter__ListenPort); set it when running the router by hand")]
    public int ListenPort { get; set; }

    /// <summary>Connection-string name of the primary (ConnectionStrings:&lt;name&gt;), the fallback backend.</summary>
    public string? Primary { get; set; }

    /// <summary>Connection-string names of the replicas.</summary>
    public List<string> Replicas { get; set; } = [];

    /// <summary>How often each backend is checked.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a check may take before the backend counts as unreachable.</summary>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A replica whose replay position is more WAL bytes than this behind the primary is ejected.</summary>
    [Range(0, long.MaxValue)]
    public long MaxLagBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>A replica that has been behind the primary for longer than this is ejected.</summary>
    public TimeSpan MaxLagTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Consecutive good checks before an ejected backend is used again.</summary>
    [Range(1, 1000)]
    public int ReadmitAfterChecks { get; set; } = 3;

    public NoReplicaMode WhenNoReplica { get; set; } = NoReplicaMode.Primary;

    /// <summary>
    /// Close a backend's client connections when it is ejected, so pools reconnect to a healthy one: at once when it is
    /// unreachable, between transactions when it lags or has the wrong role.
    /// </summary>
    public bool CloseClientsOnEjection { get; set; } = true;

    /// <summary>Time allowed to open a TCP connection to a backend before trying the next one.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Time a client has to send its startup packet(s) before it is disconnected.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Sessions past their startup phase beyond this are refused with "too many connections".</summary>
    [Range(1, 100_000)]
    public int MaxClients { get; set; } = 1000;

    /// <summary>
    /// Connections still in their startup phase; a newer one takes the place of the one that has waited longest, so sockets
    /// that never finish cannot refuse real clients (which send their startup packet at once).
    /// </summary>
    [Range(1, 100_000)]
    public int MaxStartingClients { get; set; } = 128;

    /// <summary>
    /// TCP connections kept open to each replica in rotation (and to the primary while it is the fallback), so a client's
    /// login does not wait for PostgreSQL to fork a server process; 0 turns this off.
    /// </summary>
    [Range(0, 64)]
    public int WarmConnections { get; set; } = 2;

    /// <summary>
    /// How long a warm connection may wait for a client; keep it below the servers' authentication_timeout (60 s by
    /// default), after which PostgreSQL closes a connection that has sent no startup packet.
    /// </summary>
    public TimeSpan WarmConnectionLifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where sessions are relayed after their startup phase: <see cref="RelayMode.Auto"/> takes the kernel when it can.</summary>
    public RelayMode Relay { get; set; } = RelayMode.Auto;

    /// <summary>Relay buffer per direction and connection (pooled).</summary>
    [Range(1024, 1024 * 1024)]
    public int BufferSize { get; set; } = 16 * 1024;
}
