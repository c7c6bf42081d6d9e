using OdooAspire.OdooStandIn.JsonRpc;

namespace OdooAspire.OdooStandIn.Controllers;

/// <summary>/web/session/* (addons/web/controllers/session.py).</summary>
public static class SessionRoutes
{
    public static void MapSessionRoutes(this IEndpointRouteBuilder routes)
    {
        routes.MapJsonRpc("/web/session/authenticate", RouteAuth.None, async (request, call) =>
        {
            var (db, login, password) = (call.String("db"), call.String("login"), call.String("password"));
            if (db is null || login is null || password is null)
            {
                throw new OdooException("builtins.TypeError", "Session.authenticate() missing required arguments: 'db', 'login' and 'password'");
            }

            if (db != request.Services.Conf.Database)
            {
                throw OdooException.AccessError("Database not found.");
            }

            await AuthenticateAsync(request, login, password);
            return await request.Services.Users.SessionInfoAsync(request.Session, db, request.Http.RequestAborted);
        });

        routes.MapJsonRpc("/web/session/get_session_info", RouteAuth.User, async (request, _) =>
            await request.Services.Users.SessionInfoAsync(request.Session, request.Services.Conf.Database, request.Http.RequestAborted));

        routes.MapJsonRpc("/web/session/destroy", RouteAuth.User, async (request, _) =>
        {
            await request.LogoutAsync();
            return null;
        });
    }

    /// <summary>Checks the password (deliberately slow, as Odoo's) and logs the session in, or raises AccessDenied.</summary>
    public static async Task AuthenticateAsync(OdooRequest request, string login, string password)
    {
        var user = await request.Services.Users.FindAsync(login, request.Http.RequestAborted);
        if (user is not { } found || !Passwords.Verify(password, found.Hash))
        {
            request.Services.Logger.LogInformation("Login failed for db:{Database} login:{Login}", request.Services.Conf.Database, login);
            throw OdooException.AccessDenied();
        }

        await request.LoginAsync(found.Uid, login, found.Hash);
        request.Services.Logger.LogInformation("Login successful for db:{Database} login:{Login}", request.Services.Conf.Database, login);
    }
}
