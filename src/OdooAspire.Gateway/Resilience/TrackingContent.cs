using System.Net;

namespace OdooAspire.Gateway.Resilience;

/// <summary>
/// A request body that remembers whether it was ever written to a connection. SocketsHttpHandler silently resends a
/// request whose pooled connection died, so "connection refused" alone does not prove a node never saw the request;
/// an unsent body does.
/// </summary>
internal sealed class TrackingContent : HttpContent
{
    private readonly ReadOnlyMemory<byte> _buffered;
    private readonly HttpContent? _streamed;
    private int _sent;

    /// <summary>A replayable body: every attempt gets its own instance over the same bytes.</summary>
    public TrackingContent(ReadOnlyMemory<byte> buffered, HttpContent? original)
    {
        _buffered = buffered;
        CopyHeaders(original);
    }

    /// <summary>A body too large to buffer: it can be sent once, by whichever attempt gets to write it.</summary>
    public TrackingContent(HttpContent streamed)
    {
        _streamed = streamed;
        CopyHeaders(streamed);
    }

    public bool WasSent => Volatile.Read(ref _sent) == 1;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _sent, 1);
        return _streamed is null
            ? stream.WriteAsync(_buffered, cancellationToken).AsTask()
            : _streamed.CopyToAsync(stream, context, cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        if (_streamed is null)
        {
            length = _buffered.Length;
            return true;
        }

        length = _streamed.Headers.ContentLength ?? 0;
        return _streamed.Headers.ContentLength is not null;
    }

    private void CopyHeaders(HttpContent? original)
    {
        if (original is null)
        {
            return;
        }

        // The non-validated view hands over the raw values instead of parsing each one per attempt.
        foreach (var header in original.Headers.NonValidated)
        {
            if (header.Value.Count == 1)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value.ToString());
            }
            else
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
    }
}
