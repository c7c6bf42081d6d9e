using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace OdooAspire.OdooStandIn.Assets;

/// <summary>Odoo's Stream.get_response over werkzeug's send_file: public caching, ETag and Last-Modified, 304 when the browser's copy is current.</summary>
public static class SendFile
{
    /// <summary>odoo/http.py STATIC_CACHE: files of an addon's static folder, one week.</summary>
    public static readonly TimeSpan StaticCache = TimeSpan.FromDays(7);

    /// <summary>odoo/http.py STATIC_CACHE_LONG: content whose URL changes with it (asset bundles), one year.</summary>
    public static readonly TimeSpan StaticCacheLong = TimeSpan.FromDays(365);

    /// <summary>Writes <paramref name="file"/>, or 304 Not Modified when If-None-Match (or, without it, If-Modified-Since) matches.</summary>
    public static async Task WriteAsync(HttpContext http, StaticFile file, TimeSpan maxAge, bool immutable)
    {
        var response = http.Response;
        var seconds = ((long)maxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        response.Headers.CacheControl = immutable ? $"public, max-age={seconds}, immutable" : $"public, max-age={seconds}";
        response.Headers.Expires = (DateTimeOffset.UtcNow + maxAge).ToString("R", CultureInfo.InvariantCulture);
        response.Headers.ETag = $"\"{file.ETag}\"";
        response.Headers.LastModified = file.LastModified.ToString("R", CultureInfo.InvariantCulture);
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentDisposition = $"inline; filename={file.Name}";
        if (NotModified(http.Request, file))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.ContentType = file.ContentType;
        response.ContentLength = file.Content.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await response.Body.WriteAsync(file.Content, http.RequestAborted);
        }
    }

    /// <summary>werkzeug's is_resource_modified, inverted: If-None-Match decides when present (weak comparison), else If-Modified-Since.</summary>
    private static bool NotModified(HttpRequest request, StaticFile file)
    {
        var headers = request.GetTypedHeaders();
        if (headers.IfNoneMatch is { Count: > 0 } candidates)
        {
            return candidates.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(new EntityTagHeaderValue($"\"{file.ETag}\""), useStrongComparison: false));
        }

        return headers.IfModifiedSince is { } since && file.LastModified <= since;
    }
}
