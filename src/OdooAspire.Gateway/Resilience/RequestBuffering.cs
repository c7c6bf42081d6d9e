using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OdooAspire.Gateway.Security;

namespace OdooAspire.Gateway.Resilience;

/// <summary>
/// First step of the proxy pipeline after the host check: refuses bodies over the limit with 413, buffers bodies up to
/// <c>Retry:MaxBufferedBodyBytes</c> in memory (within the <see cref="BufferBudget"/>) so the request can be classified
/// and replayed on another node, and classifies the request. A larger body streams to the node, never to disk.
/// </summary>
public sealed class RequestBuffering(RequestClassifier classifier, BufferBudget budget, IOptions<GatewayOptions> options)
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var request = context.Request;
        if (request.ContentLength > options.Value.Limits.MaxRequestBodyBytes)
        {
            await Refuse.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, TooLargeMessage());
            return;
        }

        var reserved = 0L;
        try
        {
            ForwardedRequest forwarded;
            try
            {
                (forwarded, reserved) = await ReadAsync(context);
            }
            catch (BadHttpRequestException ex)
            {
                // A body shorter than its Content-Length, malformed, too large or too slow: answered before any node sees it.
                await Refuse.WriteAsync(context, ex.StatusCode, ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? TooLargeMessage() : "Bad request body.");
                return;
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException && context.RequestAborted.IsCancellationRequested)
            {
                // The client went away while sending its body: nobody is left to answer.
                return;
            }
            catch (IOException)
            {
                // Kestrel reports some malformed bodies (a chunk size that overflows) as a plain IOException.
                await Refuse.WriteAsync(context, StatusCodes.Status400BadRequest, "Bad request body.");
                return;
            }

            context.Features.Set(forwarded);
            await next();
        }
        finally
        {
            budget.Release(reserved);
        }
    }

    private string TooLargeMessage() => $"Request body over {options.Value.Limits.MaxRequestBodyBytes} bytes (Gateway:Limits:MaxRequestBodyBytes).";

    /// <summary>The request classified with its body buffered when it fits, and the budget it holds until the request ends.</summary>
    private async Task<(ForwardedRequest Request, long Reserved)> ReadAsync(HttpContext context)
    {
        var request = context.Request;
        var limit = options.Value.Retry.MaxBufferedBodyBytes;
        var cancellationToken = context.RequestAborted;
        var length = request.ContentLength;
        if (length is null && request.Headers.TransferEncoding.Count == 0 || length == 0)
        {
            return (classifier.Classify(request.Method, request.Path, ReadOnlyMemory<byte>.Empty), 0);
        }

        if (length > limit)
        {
            return (Streamed(context, ReadOnlyMemory<byte>.Empty, BodyNotBuffered.TooLarge), 0);
        }

        if (length is { } known)
        {
            if (!budget.TryReserve(known))
            {
                return (Streamed(context, ReadOnlyMemory<byte>.Empty, BodyNotBuffered.OverBudget), 0);
            }

            var buffer = new byte[known];
            try
            {
                await request.Body.ReadExactlyAsync(buffer, cancellationToken);
            }
            catch
            {
                budget.Release(known);
                throw;
            }

            return (classifier.Classify(request.Method, request.Path, buffer), known);
        }

        // Chunked: read up to the limit, reserving as it grows; if there is more, what was read goes first and the rest streams.
        var collected = new MemoryStream();
        var reserved = 0L;
        var chunk = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await request.Body.ReadAsync(chunk, cancellationToken);
                if (read == 0)
                {
                    return (classifier.Classify(request.Method, request.Path, collected.ToArray()), reserved);
                }

                if (collected.Length + read > limit || !budget.TryReserve(read))
                {
                    var reason = collected.Length + read > limit ? BodyNotBuffered.TooLarge : BodyNotBuffered.OverBudget;
                    collected.Write(chunk, 0, read);
                    // The part already read stays in memory until it is sent: it keeps its share of the budget.
                    return (Streamed(context, collected.ToArray(), reason), reserved);
                }

                reserved += read;
                collected.Write(chunk, 0, read);
            }
        }
        catch
        {
            budget.Release(reserved);
            throw;
        }
    }

    private ForwardedRequest Streamed(HttpContext context, ReadOnlyMemory<byte> alreadyRead, BodyNotBuffered reason)
    {
        var forwarded = classifier.Classify(context.Request.Method, context.Request.Path, body: null, reason);
        context.Request.Body = new ClientBodyStream(alreadyRead, context.Request.Body, forwarded);
        return forwarded;
    }
}
