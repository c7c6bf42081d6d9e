using System.Buffers.Binary;
using System.Text;

namespace OdooAspire.ReplicaRouter.Protocol;

/// <summary>
/// Builds and reads ErrorResponse ('E') messages: the router answers a client it cannot serve with one,
/// so drivers raise a clear error at once (psycopg2's OperationalError, which makes Odoo fall back).
/// </summary>
public static class ErrorResponse
{
    public const string ProtocolViolation = "08P01";
    public const string CannotConnectNow = "57P03";
    public const string TooManyConnections = "53300";
    public const string AdminShutdown = "57P01";
    public const string CrashShutdown = "57P02";

    /// <summary>A FATAL ErrorResponse with SQLSTATE <paramref name="sqlState"/> and <paramref name="message"/>.</summary>
    public static byte[] Fatal(string sqlState, string message)
    {
        var fields = new List<(byte Code, string Value)>
        {
            ((byte)'S', "FATAL"),
            ((byte)'V', "FATAL"),
            ((byte)'C', sqlState),
            ((byte)'M', $"replica-router: {message}"),
        };
        var length = 4 + fields.Sum(f => 1 + Encoding.UTF8.GetByteCount(f.Value) + 1) + 1;
        var buffer = new byte[1 + length];
        buffer[0] = (byte)'E';
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(1), length);
        var offset = 5;
        foreach (var (code, value) in fields)
        {
            buffer[offset++] = code;
            offset += Encoding.UTF8.GetBytes(value, buffer.AsSpan(offset));
            buffer[offset++] = 0;
        }

        buffer[offset] = 0;
        return buffer;
    }

    /// <summary>The SQLSTATE ('C' field) of an ErrorResponse body (the bytes after type and length), or null.</summary>
    public static string? SqlState(ReadOnlySpan<byte> body)
    {
        while (body.Length > 0 && body[0] != 0)
        {
            var code = body[0];
            var end = body[1..].IndexOf((byte)0);
            if (end < 0)
            {
                return null;
            }

            if (code == (byte)'C')
            {
                return Encoding.ASCII.GetString(body.Slice(1, end));
            }

            body = body[(end + 2)..];
        }

        return null;
    }
}
