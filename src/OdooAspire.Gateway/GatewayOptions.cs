namespace OdooAspire.Gateway;

/// <summary>The gateway's behaviour (configuration section <c>Gateway</c>); routes and clusters come from <c>ReverseProxy</c>.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>A YARP load-balancing policy name; the default weighs power-of-two-choices by in-flight requests (README explains why).</summary>
    public string LoadBalancingPolicy { get; set; } = Balancing.WeightedPowerOfTwoChoices.PolicyName;

    /// <summary>Relative node weights by destination id (odoo-2 = 2 gets twice the share of a weight-1 node); missing means 1.</summary>
    public Dictionary<string, double> Weights { get; set; } = [];

    /// <summary>Cookie affinity: a browser keeps hitting the node that served it while that node is healthy.</summary>
    public bool Affinity { get; set; }

    public string AffinityCookieName { get; set; } = ".OdooAspire.Node";

    /// <summary>Response header naming the node that served the request.</summary>
    public string NodeHeaderName { get; set; } = "X-OdooAspire-Node";

    public HealthCheckSettings HealthChecks { get; set; } = new();

    public RetrySettings Retry { get; set; } = new();

    /// <summary>How long a request may wait for a node without any activity (nginx's proxy_read_timeout); writes on a frozen node end here.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Idle timeout of a proxied websocket; Odoo's bus sends a keep-alive well within it.</summary>
    public TimeSpan WebSocketIdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Addresses or CIDR networks of edge proxies whose X-Forwarded-* headers are believed; everyone else's are replaced.</summary>
    public List<string> TrustedEdges { get; set; } = [];

    /// <summary>Odoo's database manager (/web/database/*) creates, drops and restores databases: refused with 403 unless enabled.</summary>
    public bool DatabaseManager { get; set; }

    public LimitSettings Limits { get; set; } = new();

    /// <summary>
    /// Host names Odoo is served under, separated by ';' (like ASP.NET Core's AllowedHosts; "*.example.com" matches its
    /// subdomains, "*" any host). Loopback names are always allowed. A request for any other host gets 421 and never
    /// reaches a node: Odoo builds its URLs from the host it is given.
    /// </summary>
    public string AllowedHosts { get; set; } = "";

    /// <summary>Redirect HTTP to HTTPS and send HSTS; only effective when an HTTPS endpoint is configured.</summary>
    public bool RedirectToHttps { get; set; } = true;

    public sealed class HealthCheckSettings
    {
        /// <summary>Probe interval; a dead or frozen node is out within interval + timeout.</summary>
        public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(500);

        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>Consecutive failed probes before a node is marked down.</summary>
        public int FailureThreshold { get; set; } = 1;

        /// <summary>How long a node stays out after a refused or reset connection before the active probe's verdict counts again.</summary>
        public TimeSpan PassiveReactivation { get; set; } = TimeSpan.FromSeconds(2);
    }

    public sealed class RetrySettings
    {
        /// <summary>Attempts per request, the first one included (bounded by the number of healthy nodes).</summary>
        public int MaxAttempts { get; set; } = 3;

        /// <summary>A safe request still unanswered after this delay is also sent to another node; the first answer wins.</summary>
        public TimeSpan HedgingDelay { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>Time to open a connection to a node before trying another one.</summary>
        public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

        /// <summary>Request bodies up to this size are buffered so the request can be replayed; larger bodies get one attempt.</summary>
        public int MaxBufferedBodyBytes { get; set; } = 1024 * 1024;

        /// <summary>JSON-RPC call_kw methods that only read (Odoo's @api.readonly methods and friends).</summary>
        public List<string> ReadOnlyMethods { get; set; } =
        [
            "read", "search_read", "search", "search_count", "read_group", "name_search", "fields_get",
            "web_search_read", "web_read", "web_read_group", "default_get", "get_views", "has_group",
        ];

        /// <summary>POST routes that never write.</summary>
        public List<string> ReadOnlyRoutes { get; set; } =
        [
            "/web/session/get_session_info", "/web/webclient/version_info", "/web/webclient/translations",
            "/web/action/load", "/web/health",
        ];
    }

    public sealed class LimitSettings
    {
        public long MaxRequestBodyBytes { get; set; } = 128L * 1024 * 1024;

        /// <summary>Request bodies held in memory at once, all requests together; bodies beyond it stream (see Retry:MaxBufferedBodyBytes).</summary>
        public long MaxBufferedBytesTotal { get; set; } = 64L * 1024 * 1024;

        public int MaxRequestHeadersTotalBytes { get; set; } = 32 * 1024;

        /// <summary>A client that has not sent its headers within this time is answered 408 and dropped (slowloris).</summary>
        public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);
    }
}
