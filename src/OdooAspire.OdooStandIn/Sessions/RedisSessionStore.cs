using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OdooAspire.Odoo;
using StackExchange.Redis;

namespace OdooAspire.OdooStandIn.Sessions;

/// <summary>Redis is unreachable: the request cannot know who the user is, so it must fail, not log them out.</summary>
public class SessionStoreUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>Redis is at its maxmemory and refuses writes (noeviction); stored sessions can still be read.</summary>
public sealed class SessionStoreFullException(string message, Exception inner) : SessionStoreUnavailableException(message, inner);

/// <summary>
/// The session store the addon (odooaspire_session_redis) gives real Odoo, in C#: the same keys
/// (<c>odoo:session:&lt;sid&gt;</c>), JSON values and sliding lifetimes (short for a visitor's default-only session), so
/// nodes of either kind share sessions.
/// </summary>
public sealed partial class RedisSessionStore : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection;
    private readonly ILogger<RedisSessionStore> _logger;
    private readonly string _endpoint;

    public RedisSessionStore(IConfiguration configuration, ILogger<RedisSessionStore> logger)
    {
        _logger = logger;
        var url = configuration[SessionStoreContract.UrlVariable] is { Length: > 0 } value
            ? new Uri(value)
            : throw new InvalidOperationException($"{SessionStoreContract.UrlVariable} is not set: the AppHost passes the session store's Redis URL");
        KeyPrefix = configuration[SessionStoreContract.KeyPrefixVariable] ?? SessionStoreContract.DefaultKeyPrefix;
        Lifetime = TimeSpan.FromSeconds(configuration.GetValue(SessionStoreContract.LifetimeVariable, SessionStoreContract.DefaultLifetimeSeconds));
        AnonymousLifetime = TimeSpan.FromSeconds(configuration.GetValue(SessionStoreContract.AnonymousLifetimeVariable, SessionStoreContract.DefaultAnonymousLifetimeSeconds));
        _endpoint = $"{url.Host}:{url.Port}";

        var options = new ConfigurationOptions
        {
            EndPoints = { { url.Host, url.Port } },
            Password = Uri.UnescapeDataString(url.UserInfo.TrimStart(':')),
            // Keep reconnecting in the background, but never make a request wait long on a dead server.
            AbortOnConnectFail = false,
            ConnectTimeout = 2000,
            SyncTimeout = 2000,
            AsyncTimeout = 2000,
        };
        _connection = new(() => ConnectionMultiplexer.ConnectAsync(options));
    }

    public string KeyPrefix { get; }

    public TimeSpan Lifetime { get; }

    public TimeSpan AnonymousLifetime { get; }

    /// <summary>Odoo 18's generate_key: 63 random bytes, url-safe base64, 84 characters.</summary>
    public static string GenerateKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(63)).Replace('+', '-').Replace('/', '_');

    public static bool IsValidKey(string? key) => key is not null && KeyPattern().IsMatch(key);

    public OdooSession New() => new(GenerateKey(), OdooSession.Defaults(), isNew: true);

    /// <summary>The session under <paramref name="sid"/>, its lifetime renewed; a new one when the id is unknown.</summary>
    public async Task<OdooSession> GetAsync(string sid)
    {
        var value = await Run(db => db.StringGetSetExpiryAsync(Key(sid), Lifetime), "read");
        if (value.IsNull || JsonNode.Parse(value.ToString()) is not JsonObject data)
        {
            return New();
        }

        foreach (var (key, defaultValue) in OdooSession.Defaults())
        {
            if (!data.ContainsKey(key))
            {
                data[key] = defaultValue?.DeepClone();
            }
        }

        var session = new OdooSession(sid, data, isNew: false);
        if (session.HoldsOnlyDefaults)
        {
            // GETEX renewed it to the full lifetime. The stand-in adds nothing to a visitor's session in place (a login
            // rotates it), so unlike the addon it need not check that no other request grew it meanwhile.
            await Run(db => db.KeyExpireAsync(Key(sid), AnonymousLifetime), "read");
        }

        return session;
    }

    public Task SaveAsync(OdooSession session) => Run(async db =>
    {
        var (key, value) = (Key(session.Sid), session.Data.ToJsonString());
        var lifetime = session.HoldsOnlyDefaults ? AnonymousLifetime : Lifetime;
        try
        {
            return await db.StringSetAsync(key, value, lifetime);
        }
        catch (RedisServerException ex) when (IsFull(ex))
        {
            // As the addon: a full store refuses SET even for an unchanged session (every handshake saves it), and
            // renewing one takes no memory.
            if (await db.StringGetAsync(key) != value)
            {
                throw;
            }

            return await db.KeyExpireAsync(key, lifetime);
        }
    }, "save");

    public Task DeleteAsync(string sid) => Run(db => db.KeyDeleteAsync(Key(sid)), "delete");

    /// <summary>Odoo's rotate: the old id stops working, the same data lives on under a new one.</summary>
    public async Task RotateAsync(OdooSession session)
    {
        await DeleteAsync(session.Sid);
        session.Sid = GenerateKey();
        await SaveAsync(session);
    }

    private string Key(string sid) => KeyPrefix + sid;

    private async Task<T> Run<T>(Func<IDatabase, Task<T>> operation, string what)
    {
        try
        {
            var connection = await _connection.Value;
            return await operation(connection.GetDatabase());
        }
        catch (RedisServerException ex) when (IsFull(ex))
        {
            _logger.LogError("Session store full: Redis at {Endpoint} refused to {What} a session: {Reason}", _endpoint, what, ex.Message);
            throw new SessionStoreFullException(
                $"Session store full: Redis at {_endpoint} is at its maxmemory. Stored sessions still work; new ones are refused until sessions expire or maxmemory is raised.", ex);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException or TimeoutException)
        {
            _logger.LogError("Session store unavailable: could not {What} a session in Redis at {Endpoint}: {Reason}", what, _endpoint, ex.Message);
            throw new SessionStoreUnavailableException($"Session store unavailable: Redis at {_endpoint} does not answer. Retry when it is back.", ex);
        }
    }

    /// <summary>Redis's answer at its maxmemory with noeviction: "OOM command not allowed when used memory &gt; 'maxmemory'".</summary>
    private static bool IsFull(RedisServerException ex) => ex.Message.StartsWith("OOM", StringComparison.Ordinal);

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated)
        {
            await (await _connection.Value).DisposeAsync();
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{84}$")]
    private static partial Regex KeyPattern();
}
