namespace OdooAspire.Odoo;

/// <summary>
/// How every Odoo node finds its sessions in Redis: the environment the AppHost sets, read by the Python
/// addon (odooaspire_session_redis) and the stand-in alike, and the key format and lifetime they share.
/// </summary>
public static class SessionStoreContract
{
    /// <summary>redis://:&lt;password&gt;@&lt;host&gt;:&lt;port&gt;/0</summary>
    public const string UrlVariable = "ODOOASPIRE_SESSION_REDIS_URL";
    public const string KeyPrefixVariable = "ODOOASPIRE_SESSION_KEY_PREFIX";
    public const string LifetimeVariable = "ODOOASPIRE_SESSION_LIFETIME";
    public const string AnonymousLifetimeVariable = "ODOOASPIRE_SESSION_ANONYMOUS_LIFETIME";

    /// <summary>A session lives at <c>odoo:session:&lt;sid&gt;</c> as the JSON of Odoo's session dict.</summary>
    public const string DefaultKeyPrefix = "odoo:session:";

    /// <summary>Odoo's SESSION_LIFETIME (odoo/http.py): 7 days, renewed on every read.</summary>
    public const int DefaultLifetimeSeconds = 60 * 60 * 24 * 7;

    /// <summary>
    /// A visitor's session holding only Odoo's defaults (no user, no cart), as every websocket handshake stores: 1 hour,
    /// renewed on every read. Losing it costs the browser one reconnect.
    /// </summary>
    public const int DefaultAnonymousLifetimeSeconds = 60 * 60;
}
