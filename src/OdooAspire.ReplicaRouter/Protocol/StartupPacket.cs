using System.Buffers.Binary;
using System.Text;

namespace OdooAspire.ReplicaRouter.Protocol;

/// <summary>What a client's first packet (untyped: length, then a code) asks for.</summary>
public enum StartupPacketKind
{
    Startup,
    SslRequest,
    GssEncRequest,
    CancelRequest,
}

/// <summary>
/// Parses the startup phase of the PostgreSQL frontend protocol: the packets a client sends before it
/// has a backend (SSLRequest, GSSENCRequest, CancelRequest, StartupMessage), each an int32 length and an int32 code.
/// </summary>
public static class StartupPacket
{
    public const int HeaderLength = 8;

    /// <summary>PostgreSQL's own limit (MAX_STARTUP_PACKET_LENGTH): anything longer is not a startup packet.</summary>
    public const int MaxLength = 10_000;

    public const int SslRequestCode = 80877103;
    public const int GssEncRequestCode = 80877104;
    public const int CancelRequestCode = 80877102;
    public const int ProtocolMajor3 = 3;

    /// <summary>Protocol 3.2 (PostgreSQL 18) allows cancel keys up to 256 bytes; 3.0 uses 4.</summary>
    private const int MaxCancelKeyLength = 256;

    /// <summary>Reads the header (first <see cref="HeaderLength"/> bytes): the kind and the packet's total length, or why it is not one.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> header, out StartupPacketKind kind, out int length, out string error)
    {
        kind = default;
        length = BinaryPrimitives.ReadInt32BigEndian(header);
        var code = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        error = "";
        if (length < HeaderLength || length > MaxLength)
        {
            error = $"invalid length of startup packet: {length}";
            return false;
        }

        switch (code)
        {
            case SslRequestCode or GssEncRequestCode when length == HeaderLength:
                kind = code == SslRequestCode ? StartupPacketKind.SslRequest : StartupPacketKind.GssEncRequest;
                return true;
            case SslRequestCode or GssEncRequestCode:
                error = $"invalid length of encryption request: {length}";
                return false;
            case CancelRequestCode when length is >= 16 and <= 12 + MaxCancelKeyLength:
                kind = StartupPacketKind.CancelRequest;
                return true;
            case CancelRequestCode:
                error = $"invalid length of cancel request: {length}";
                return false;
        }

        var major = code >> 16;
        if (major != ProtocolMajor3)
        {
            error = $"unsupported frontend protocol {major}.{code & 0xFFFF}: the router speaks protocol 3";
            return false;
        }

        if (length == HeaderLength)
        {
            error = "startup packet has no parameters";
            return false;
        }

        kind = StartupPacketKind.Startup;
        return true;
    }

    /// <summary>
    /// The parameters of a StartupMessage (<paramref name="packet"/> is the whole packet), or why they are malformed:
    /// name/value pairs of NUL-terminated strings ending in an empty name, with a "user".
    /// </summary>
    public static bool TryReadParameters(ReadOnlySpan<byte> packet, out Dictionary<string, string> parameters, out string error)
    {
        parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        error = "";
        var body = packet[HeaderLength..];
        while (true)
        {
            var end = body.IndexOf((byte)0);
            if (end < 0)
            {
                error = "startup packet is not NUL-terminated";
                return false;
            }

            if (end == 0)
            {
                break;
            }

            var name = Encoding.UTF8.GetString(body[..end]);
            body = body[(end + 1)..];
            var valueEnd = body.IndexOf((byte)0);
            if (valueEnd < 0)
            {
                error = $"startup parameter '{name}' has no value";
                return false;
            }

            parameters[name] = Encoding.UTF8.GetString(body[..valueEnd]);
            body = body[(valueEnd + 1)..];
        }

        if (!parameters.ContainsKey("user"))
        {
            error = "no PostgreSQL user name specified in startup packet";
            return false;
        }

        return true;
    }

    /// <summary>The (process id, secret key) a CancelRequest names; <paramref name="packet"/> is the whole packet.</summary>
    public static CancelKey ReadCancelKey(ReadOnlySpan<byte> packet) =>
        new(BinaryPrimitives.ReadInt32BigEndian(packet[8..]), Convert.ToHexString(packet[12..]));
}

/// <summary>A backend session's identity for cancellation (BackendKeyData): process id and secret key.</summary>
public readonly record struct CancelKey(int ProcessId, string SecretKey);
