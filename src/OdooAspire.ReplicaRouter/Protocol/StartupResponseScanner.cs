using System.Buffers.Binary;

namespace OdooAspire.ReplicaRouter.Protocol;

/// <summary>
/// Follows the backend's messages from the startup packet to the first ReadyForQuery, fed in whatever
/// chunks the socket delivers, so the router can pick up BackendKeyData (for routing CancelRequests) and
/// then relay raw bytes. It only reads; the bytes are forwarded unchanged.
/// </summary>
public sealed class StartupResponseScanner
{
    private readonly byte[] _header = new byte[5];
    private int _headerFilled;
    private int _bodyRemaining;
    private byte _type;
    private byte[]? _keyData;
    private int _keyFilled;

    /// <summary>Set once a ReadyForQuery ('Z') has been seen: the session is established.</summary>
    public bool Ready { get; private set; }

    /// <summary>The session's cancel key, once BackendKeyData ('K') has been seen.</summary>
    public CancelKey? Key { get; private set; }

    /// <summary>Consumes <paramref name="chunk"/>; returns how many of its bytes belong to the startup response (all of them until ReadyForQuery).</summary>
    public int Feed(ReadOnlySpan<byte> chunk)
    {
        var consumed = 0;
        while (consumed < chunk.Length && !Ready)
        {
            if (_headerFilled < _header.Length)
            {
                var take = Math.Min(_header.Length - _headerFilled, chunk.Length - consumed);
                chunk.Slice(consumed, take).CopyTo(_header.AsSpan(_headerFilled));
                _headerFilled += take;
                consumed += take;
                if (_headerFilled < _header.Length)
                {
                    break;
                }

                _type = _header[0];
                var length = BinaryPrimitives.ReadInt32BigEndian(_header.AsSpan(1));
                if (length < 4)
                {
                    throw new InvalidDataException($"backend sent a message '{(char)_type}' with invalid length {length}");
                }

                _bodyRemaining = length - 4;
                if (_type == (byte)'K')
                {
                    _keyData = new byte[_bodyRemaining];
                    _keyFilled = 0;
                }
            }

            var body = Math.Min(_bodyRemaining, chunk.Length - consumed);
            if (_type == (byte)'K' && _keyData is not null)
            {
                chunk.Slice(consumed, body).CopyTo(_keyData.AsSpan(_keyFilled));
                _keyFilled += body;
            }

            consumed += body;
            _bodyRemaining -= body;
            if (_bodyRemaining == 0)
            {
                Complete();
            }
        }

        return consumed;
    }

    private void Complete()
    {
        if (_type == (byte)'K' && _keyData is { Length: >= 8 })
        {
            Key = new CancelKey(BinaryPrimitives.ReadInt32BigEndian(_keyData), Convert.ToHexString(_keyData.AsSpan(4)));
        }
        else if (_type == (byte)'Z')
        {
            Ready = true;
        }

        _headerFilled = 0;
        _keyData = null;
    }
}
