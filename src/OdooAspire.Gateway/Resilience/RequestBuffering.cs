using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace OdooAspire.Gateway.Resilience;

/// <summary>
/// First step of the proxy pipeline: refuses bodies over the limit with 413, buffers bodies up to
/// <c>Retry:MaxBufferedBodyBytes</c> so the request can be replayed on another node, and classifies the request.
/// </summary>
public sealed class RequestBuffering(RequestClassifier classifier, IOptions<GatewayOptions> options)
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var request = context.Request;
        var length = request.ContentLength;
        if (length > options.Value.Limits.MaxRequestBodyBytes)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        ReadOnlyMemory<byte>? body;
        try
        {
            body = await ReadBodyAsync(request, options.Value.Retry.MaxBufferedBodyBytes, context.RequestAborted);
        }
        catch (BadHttpRequestException ex)
        {
            // A body shorter than its Content-Length, too large, or sent too slowly: answered before any node sees it.
            context.Response.StatusCode = ex.StatusCode;
            return;
        }

        context.Features.Set(classifier.Classify(request.Method, request.Path, body));
        await next();
    }

    /// <summary>The whole body if it fits in <paramref name="limit"/> bytes (empty when there is none), else null.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        var length = request.ContentLength;
        if (length is null && request.Headers.TransferEncoding.Count == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        if (length is { } known)
        {
            if (known > limit)
            {
                return null;
            }

            var buffer = new byte[known];
            await request.Body.ReadExactlyAsync(buffer, cancellationToken);
            return buffer;
        }

        // Chunked: read up to the limit; if there is more, rewind and let the whole body stream through.
        request.EnableBuffering();
        using var collected = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while (collected.Length <= limit && (read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            collected.Write(chunk, 0, read);
        }

        if (collected.Length <= limit)
        {
            return collected.ToArray();
        }

        request.Body.Position = 0;
        return null;
    }
}
