namespace OdooAspire.Gateway.Resilience;

/// <summary>
/// A streamed request body: the part the gateway already read, then the rest from the client. It records the error the
/// client's side raises (a malformed chunk, a body over the limit, a client gone), so a failed attempt is blamed on the
/// client and not on the node it was being sent to.
/// </summary>
internal sealed class ClientBodyStream(ReadOnlyMemory<byte> prefix, Stream client, ForwardedRequest request) : Stream
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_prefix.IsEmpty)
        {
            var count = Math.Min(buffer.Length, _prefix.Length);
            _prefix[..count].CopyTo(buffer);
            _prefix = _prefix[count..];
            return count;
        }

        try
        {
            return await client.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception ex)
        {
            request.ClientBodyError ??= ex;
            throw;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
