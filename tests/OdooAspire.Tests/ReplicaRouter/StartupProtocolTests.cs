using System.Buffers.Binary;
using System.Text;
using OdooAspire.ReplicaRouter.Protocol;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>The router's reading of the PostgreSQL startup phase, byte for byte as clients send it.</summary>
public sealed class StartupProtocolTests
{
    [Theory]
    [InlineData(StartupPacket.SslRequestCode, StartupPacketKind.SslRequest)]
    [InlineData(StartupPacket.GssEncRequestCode, StartupPacketKind.GssEncRequest)]
    public void Encryption_requests_are_recognised(int code, StartupPacketKind expected)
    {
        Assert.True(StartupPacket.TryReadHeader(Header(8, code), out var kind, out var length, out _));
        Assert.Equal(expected, kind);
        Assert.Equal(8, length);
    }

    [Fact]
    public void A_cancel_request_is_recognised_and_its_key_read()
    {
        var packet = new byte[16];
        Header(16, StartupPacket.CancelRequestCode).CopyTo(packet, 0);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(8), 4242);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(12), unchecked((int)0xDEADBEEF));

        Assert.True(StartupPacket.TryReadHeader(packet, out var kind, out _, out _));
        Assert.Equal(StartupPacketKind.CancelRequest, kind);
        Assert.Equal(new CancelKey(4242, "DEADBEEF"), StartupPacket.ReadCancelKey(packet));
    }

    [Fact]
    public void A_protocol_3_startup_message_is_read_with_its_parameters()
    {
        var packet = Startup(("user", "odoo"), ("database", "odoo"), ("application_name", "odoo-1"));

        Assert.True(StartupPacket.TryReadHeader(packet, out var kind, out var length, out _));
        Assert.Equal(StartupPacketKind.Startup, kind);
        Assert.Equal(packet.Length, length);
        Assert.True(StartupPacket.TryReadParameters(packet, out var parameters, out _));
        Assert.Equal("odoo", parameters["user"]);
        Assert.Equal("odoo-1", parameters["application_name"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(10_001)]
    [InlineData(-1)]
    public void A_length_outside_postgres_limits_is_refused(int length)
    {
        Assert.False(StartupPacket.TryReadHeader(Header(length, 196608), out _, out _, out var error));
        Assert.Contains("invalid length", error);
    }

    [Fact]
    public void Protocol_2_is_refused_with_a_message_naming_protocol_3()
    {
        Assert.False(StartupPacket.TryReadHeader(Header(40, 2 << 16), out _, out _, out var error));
        Assert.Contains("unsupported frontend protocol 2.0", error);
    }

    [Fact]
    public void An_ssl_request_with_a_body_is_refused()
    {
        Assert.False(StartupPacket.TryReadHeader(Header(12, StartupPacket.SslRequestCode), out _, out _, out var error));
        Assert.Contains("encryption request", error);
    }

    [Fact]
    public void Garbage_bytes_are_not_a_startup_packet()
    {
        Assert.False(StartupPacket.TryReadHeader("GET / HTTP/1.1\r\n"u8, out _, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void A_startup_message_without_a_user_is_refused()
    {
        Assert.False(StartupPacket.TryReadParameters(Startup(("database", "odoo")), out _, out var error));
        Assert.Contains("no PostgreSQL user name", error);
    }

    [Fact]
    public void A_startup_message_cut_inside_a_parameter_is_refused()
    {
        var packet = Startup(("user", "odoo"));
        var cut = packet[..^3];
        Assert.False(StartupPacket.TryReadParameters(cut, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void The_routers_error_response_carries_its_sqlstate_and_message()
    {
        var message = ErrorResponse.Fatal(ErrorResponse.CannotConnectNow, "no healthy replica");

        Assert.Equal((byte)'E', message[0]);
        Assert.Equal(message.Length - 1, BinaryPrimitives.ReadInt32BigEndian(message.AsSpan(1)));
        Assert.Equal(ErrorResponse.CannotConnectNow, ErrorResponse.SqlState(message.AsSpan(5)));
        Assert.Contains("replica-router: no healthy replica", Encoding.UTF8.GetString(message));
    }

    [Fact]
    public void The_backend_key_is_picked_up_however_the_backend_response_is_split()
    {
        var response = Concat(
            Message('R', new byte[4]),
            Message('S', "server_version\015.0\0"u8.ToArray()),
            Message('K', [0, 0, 0x10, 0x01, 1, 2, 3, 4]),
            Message('Z', "I"u8.ToArray()));
        var afterReady = "T-and-more"u8.ToArray();
        var stream = Concat(response, afterReady);

        foreach (var chunkSize in new[] { 1, 2, 3, 7, stream.Length })
        {
            var scanner = new StartupResponseScanner();
            var consumed = 0;
            for (var offset = 0; offset < stream.Length && !scanner.Ready; offset += chunkSize)
            {
                consumed += scanner.Feed(stream.AsSpan(offset, Math.Min(chunkSize, stream.Length - offset)));
            }

            Assert.True(scanner.Ready, $"chunks of {chunkSize}");
            Assert.Equal(response.Length, consumed);
            Assert.Equal(new CancelKey(0x1001, "01020304"), scanner.Key);
        }
    }

    [Theory]
    [InlineData('I', true)]
    [InlineData('T', false)]
    [InlineData('E', false)]
    public void A_session_counts_as_idle_only_after_ReadyForQuery_outside_a_transaction(char status, bool idle)
    {
        var chunk = Concat(Message('C', "SELECT 1\0"u8.ToArray()), Message('Z', [(byte)status]));

        Assert.Equal(idle, ReadyForQuery.EndsIdle(chunk));
        Assert.False(ReadyForQuery.EndsIdle(chunk[..^1]));
        Assert.False(ReadyForQuery.EndsIdle(Message('D', "ZI"u8.ToArray())));
    }

    [Fact]
    public void A_backend_message_with_a_negative_length_is_rejected()
    {
        var scanner = new StartupResponseScanner();
        Assert.Throws<InvalidDataException>(() => scanner.Feed([(byte)'R', 0xFF, 0xFF, 0xFF, 0xFF]));
    }

    private static byte[] Header(int length, int code)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, length);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), code);
        return header;
    }

    private static byte[] Startup(params (string Name, string Value)[] parameters)
    {
        var body = new MemoryStream();
        foreach (var (name, value) in parameters)
        {
            body.Write(Encoding.UTF8.GetBytes(name + "\0" + value + "\0"));
        }

        body.WriteByte(0);
        return Concat(Header(8 + (int)body.Length, 3 << 16), body.ToArray());
    }

    private static byte[] Message(char type, byte[] body)
    {
        var message = new byte[5 + body.Length];
        message[0] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 4 + body.Length);
        body.CopyTo(message, 5);
        return message;
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
