using OdooAspire.OdooStandIn.Assets;

namespace OdooAspire.OdooStandIn.Controllers;

/// <summary>
/// Odoo's static files (odoo/http.py Request._serve_static) and asset bundles (addons/web/controllers/binary.py
/// content_assets), with their cache headers, for the stand-in's own files and bundles.
/// </summary>
public static class AssetRoutes
{
    /// <summary>assetsbundle.py ANY_UNIQUE and its aliases: "whatever the current version is".</summary>
    private static readonly string[] AnyUnique = ["_______", "any", "%"];

    public static void MapAssetRoutes(this IEndpointRouteBuilder routes)
    {
        // Served before any session or database work, as _serve_static is: no cookie is ever set here.
        routes.MapMethods("/web/static/{**path}", [HttpMethods.Get, HttpMethods.Head], async (HttpContext http, AssetCatalog assets, string? path) =>
        {
            assets.CountRequest();
            if (path is null || assets.File(path) is not { } file)
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                await http.Response.WriteAsync($"File \"{path}\" not found in module web.\n");
                return;
            }

            await SendFile.WriteAsync(http, file, SendFile.StaticCache, immutable: false);
        });

        // auth="public": the session is loaded and saved like any page's, so a visitor without a cookie is given one.
        routes.MapMethods("/web/assets/{unique}/{filename}", [HttpMethods.Get, HttpMethods.Head],
            async (HttpContext http, StandInServices services, AssetCatalog assets, string unique, string filename) =>
            {
                assets.CountRequest();
                var request = await OdooRequest.OpenAsync(http, services);
                await request.SaveAsync();
                if (assets.Bundle(filename) is not { } bundle)
                {
                    http.Response.StatusCode = StatusCodes.Status404NotFound;
                    await http.Response.WriteAsync($"The stand-in has no asset bundle {filename}: it serves {assets.Stylesheet.Filename} and {assets.Script.Filename}\n");
                    return;
                }

                if (unique != bundle.Unique && !AnyUnique.Contains(unique))
                {
                    // An outdated version: Odoo redirects to the current one rather than serve stale content under a year-long cache.
                    http.Response.StatusCode = StatusCodes.Status303SeeOther;
                    http.Response.Headers.Location = bundle.Url;
                    return;
                }

                await SendFile.WriteAsync(http, bundle.File, SendFile.StaticCacheLong, immutable: true);
            });
    }
}
