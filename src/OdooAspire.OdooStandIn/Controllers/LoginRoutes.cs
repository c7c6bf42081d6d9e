using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using OdooAspire.OdooStandIn.Assets;
using OdooAspire.OdooStandIn.JsonRpc;

namespace OdooAspire.OdooStandIn.Controllers;

/// <summary>/web/login (addons/web/controllers/home.py): the HTML form with its csrf_token, and its POST.</summary>
public static class LoginRoutes
{
    /// <summary>Odoo's CSRF token lifetime when the form is rendered (one year, CSRF_TOKEN_SALT).</summary>
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromDays(365);

    public static void MapLoginRoutes(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/web/login", async (HttpContext http, StandInServices services, AssetCatalog assets) =>
        {
            var request = await OdooRequest.OpenAsync(http, services);
            await request.SaveAsync();
            await PageAsync(http, assets, CsrfToken(request, services), error: null, login: "");
        });

        routes.MapPost("/web/login", async (HttpContext http, StandInServices services, AssetCatalog assets) =>
        {
            var request = await OdooRequest.OpenAsync(http, services);
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            if (!ValidCsrfToken(request, services, form["csrf_token"].ToString()))
            {
                // Odoo: werkzeug BadRequest from ir.http._pre_dispatch.
                http.Response.StatusCode = StatusCodes.Status400BadRequest;
                await http.Response.WriteAsync("Session expired (invalid CSRF token)");
                return;
            }

            var login = form["login"].ToString();
            try
            {
                await SessionRoutes.AuthenticateAsync(request, login, form["password"].ToString());
            }
            catch (OdooException)
            {
                await request.SaveAsync();
                await PageAsync(http, assets, CsrfToken(request, services), "Wrong login/password", login);
                return;
            }

            await request.SaveAsync();
            var redirect = form["redirect"].ToString();
            // Only a local path: an open redirect would let a link send a freshly logged-in user anywhere.
            http.Response.Redirect(redirect.StartsWith('/') && !redirect.StartsWith("//", StringComparison.Ordinal) ? redirect : "/odoo");
            http.Response.StatusCode = StatusCodes.Status303SeeOther;
        });
    }

    /// <summary>Odoo's Request.csrf_token: an HMAC of the session id and an expiry, "&lt;hmac&gt;o&lt;expiry&gt;".</summary>
    private static string CsrfToken(OdooRequest request, StandInServices services)
    {
        var expiry = DateTimeOffset.UtcNow.Add(TokenLifetime).ToUnixTimeSeconds();
        return $"{Sign(request, services, expiry)}o{expiry.ToString(CultureInfo.InvariantCulture)}";
    }

    private static bool ValidCsrfToken(OdooRequest request, StandInServices services, string token)
    {
        var separator = token.LastIndexOf('o');
        if (separator <= 0 || !long.TryParse(token[(separator + 1)..], CultureInfo.InvariantCulture, out var expiry)
            || expiry < DateTimeOffset.UtcNow.ToUnixTimeSeconds())
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token[..separator]), Encoding.ASCII.GetBytes(Sign(request, services, expiry)));
    }

    /// <summary>Keyed by the master password, which every node shares, so a form from one node posts to another.</summary>
    private static string Sign(OdooRequest request, StandInServices services, long expiry) =>
        Convert.ToHexStringLower(HMACSHA1.HashData(
            Encoding.UTF8.GetBytes(services.Conf.AdminPasswd),
            Encoding.UTF8.GetBytes($"{request.Session.Sid[..42]}{expiry.ToString(CultureInfo.InvariantCulture)}")));

    /// <summary>The page with Odoo's head: the icon, the stylesheet bundle and the deferred script bundle, linked as web.frontend_layout does.</summary>
    private static Task PageAsync(HttpContext http, AssetCatalog assets, string csrfToken, string? error, string login)
    {
        http.Response.ContentType = "text/html; charset=utf-8";
        var alert = error is null ? "" : $"<p class=\"alert alert-danger\" role=\"alert\">{WebUtility.HtmlEncode(error)}</p>";
        return http.Response.WriteAsync($"""
            <!DOCTYPE html>
            <html lang="en-US">
            <head>
            <meta charset="utf-8"/>
            <title>Login | Odoo stand-in (OdooAspire)</title>
            <link type="image/svg+xml" rel="shortcut icon" href="{assets.IconUrl}"/>
            <link type="text/css" rel="stylesheet" href="{assets.Stylesheet.Url}"/>
            <script type="text/javascript" defer="defer" src="{assets.Script.Url}" onerror="__odooAssetError=1"></script>
            </head>
            <body>
            <p class="o_stand_in_notice">This is the OdooAspire stand-in for an Odoo node, not Odoo.</p>
            <form class="oe_login_form" role="form" method="post" action="/web/login">
            <input type="hidden" name="csrf_token" value="{csrfToken}"/>
            <label for="login">Email</label><input type="text" name="login" id="login" value="{WebUtility.HtmlEncode(login)}" required="required" autofocus="autofocus"/>
            <label for="password">Password</label><input type="password" name="password" id="password" required="required"/>
            {alert}
            <button type="submit">Log in</button>
            </form>
            </body>
            </html>
            """, http.RequestAborted);
    }
}
