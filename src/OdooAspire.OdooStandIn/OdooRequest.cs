using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using OdooAspire.Odoo;
using OdooAspire.OdooStandIn.JsonRpc;
using OdooAspire.OdooStandIn.Sessions;

namespace OdooAspire.OdooStandIn;

/// <summary>Who may call a route, as Odoo's <c>auth=</c>: nobody in particular, or a logged-in user.</summary>
public enum RouteAuth
{
    None,
    Public,
    User,
}

/// <summary>
/// One request as Odoo's http.py handles it: the session is loaded from the <c>session_id</c> cookie before the
/// route runs and saved (with the cookie) after it, only when it changed.
/// </summary>
public sealed class OdooRequest(HttpContext http, OdooSession session, StandInServices services)
{
    public const string CookieName = "session_id";

    public HttpContext Http { get; } = http;

    public OdooSession Session { get; } = session;

    public StandInServices Services { get; } = services;

    public static async Task<OdooRequest> OpenAsync(HttpContext http, StandInServices services)
    {
        var sid = http.Request.Cookies[CookieName];
        var session = services.Sessions.New();
        if (RedisSessionStore.IsValidKey(sid))
        {
            session = await services.Sessions.GetAsync(sid!);
            // As Odoo's _get_session_and_dbname: a session that was never saved keeps the id the browser has.
            session.Sid = sid!;
        }

        return new(http, session, services);
    }

    /// <summary>Raises Odoo's SessionExpiredException unless the session belongs to a user whose token still matches.</summary>
    public async Task AuthenticateAsync(RouteAuth auth)
    {
        if (auth != RouteAuth.User)
        {
            return;
        }

        if (Session.Uid is not { } uid || Session.Db != Services.Conf.Database
            || Session.SessionToken is not { } token
            || await Services.Users.PasswordHashAsync(uid, Http.RequestAborted) is not { } hash
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token), Encoding.ASCII.GetBytes(SessionToken(uid, hash))))
        {
            throw OdooException.SessionExpired();
        }
    }

    /// <summary>Saves a changed session and tells the browser its id, as Request._save_session does.</summary>
    public async Task SaveAsync()
    {
        if (Session.IsDirty)
        {
            await Services.Sessions.SaveAsync(Session);
        }

        if (Session.IsDirty || Http.Request.Cookies[CookieName] != Session.Sid)
        {
            Http.Response.Cookies.Append(CookieName, Session.Sid, new CookieOptions
            {
                HttpOnly = true,
                MaxAge = Services.Sessions.Lifetime,
                Path = "/",
            });
        }
    }

    /// <summary>Logs the user in: a new session id (rotation), uid/login/db and a token bound to the password.</summary>
    public async Task LoginAsync(int uid, string login, string passwordHash)
    {
        Session.Set("uid", uid);
        Session.Set("login", login);
        Session.Set("db", Services.Conf.Database);
        Session.Set("session_token", SessionToken(uid, passwordHash));
        Session.Data["context"] = new JsonObject { ["lang"] = "en_US", ["tz"] = "UTC", ["uid"] = uid };
        await Services.Sessions.RotateAsync(Session);
    }

    /// <summary>Odoo's session.logout(): the user's data goes, the old id stops working.</summary>
    public async Task LogoutAsync()
    {
        foreach (var key in new[] { "uid", "login", "session_token" })
        {
            Session.Set(key, null);
        }

        // As Odoo's logout, the user's context goes too: what is left is a visitor's session, with its short lifetime.
        Session.Data["context"] = new JsonObject { ["lang"] = "en_US" };

        await Services.Sessions.RotateAsync(Session);
    }

    /// <summary>Like Odoo's compute_session_token: changing the password invalidates every session of the user.</summary>
    private static string SessionToken(int uid, string passwordHash) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(passwordHash), Encoding.UTF8.GetBytes($"session-token:{uid}")));
}
