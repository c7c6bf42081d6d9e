using System.Buffers.Binary;
using System.Net.Sockets;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>Clients that speak garbage, stop mid-packet or say nothing: closed cleanly, nothing leaks.</summary>
[Collection(DefaultRouterCollection.Name)]
public sealed class BadInputTests(DefaultRouterStack stack)
{
    private static readonly TimeSpan CloseDeadline = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Garbage_bytes_get_a_protocol_error_and_the_connection_is_closed()
    {
        using var socket = await stack.ConnectRawAsync();
        await socket.SendAsync("GET / HTTP/1.1\r\nHost: router\r\n\r\n"u8.ToArray());

        var answer = await RouterStack.ReadUntilClosedAsync(socket, CloseDeadline);

        Assert.Equal((byte)'E', answer[0]);
        Assert.Contains("08P01", System.Text.Encoding.UTF8.GetString(answer));
    }

    [Fact]
    public async Task A_client_that_vanishes_mid_packet_is_closed()
    {
        using var socket = await stack.ConnectRawAsync();
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, 100);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 3 << 16);
        await socket.SendAsync(header);
        await socket.SendAsync("user\0"u8.ToArray());
        socket.Shutdown(SocketShutdown.Send);

        Assert.Empty(await RouterStack.ReadUntilClosedAsync(socket, CloseDeadline));
    }

    [Fact]
    public async Task A_client_that_sends_nothing_is_told_so_and_closed_after_the_startup_timeout()
    {
        using var socket = await stack.ConnectRawAsync();

        var answer = await RouterStack.ReadUntilClosedAsync(socket, CloseDeadline);

        Assert.Contains("no startup packet within 2 s", System.Text.Encoding.UTF8.GetString(answer));
    }

    [Fact]
    public async Task A_client_that_drips_its_startup_packet_a_byte_a_second_is_closed_after_the_startup_timeout()
    {
        using var socket = await stack.ConnectRawAsync();
        var packet = new byte[8 + "user\0odoo\0\0".Length];
        BinaryPrimitives.WriteInt32BigEndian(packet, packet.Length);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(4), 3 << 16);
        "user\0odoo\0\0"u8.CopyTo(packet.AsSpan(8));
        using var stop = new CancellationTokenSource();
        var drip = DripAsync();

        var answer = await RouterStack.ReadUntilClosedAsync(socket, CloseDeadline);
        await stop.CancelAsync();
        await drip;

        Assert.Contains("no startup packet within 2 s", System.Text.Encoding.UTF8.GetString(answer));

        async Task DripAsync()
        {
            try
            {
                foreach (var b in packet)
                {
                    await socket.SendAsync(new[] { b }, SocketFlags.None, stop.Token);
                    await Task.Delay(TimeSpan.FromSeconds(1), stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                // Stopped by the test once the router has closed the connection.
            }
        }
    }

    [Fact]
    public async Task A_cancel_request_for_a_session_the_router_does_not_know_is_dropped_and_reading_goes_on()
    {
        using (var socket = await stack.ConnectRawAsync())
        {
            var cancel = new byte[16];
            BinaryPrimitives.WriteInt32BigEndian(cancel, 16);
            BinaryPrimitives.WriteInt32BigEndian(cancel.AsSpan(4), 80877102);
            BinaryPrimitives.WriteInt32BigEndian(cancel.AsSpan(8), 999_999);
            BinaryPrimitives.WriteInt32BigEndian(cancel.AsSpan(12), 42);
            await socket.SendAsync(cancel);

            Assert.Empty(await RouterStack.ReadUntilClosedAsync(socket, CloseDeadline));
        }

        var (connection, landing) = await stack.OpenThroughRouterAsync();
        await connection.DisposeAsync();
        Assert.True(landing.InRecovery);
    }

    [Fact]
    public async Task After_many_bad_clients_the_router_serves_and_holds_no_more_descriptors_than_before()
    {
        await (await stack.OpenThroughRouterAsync()).Connection.DisposeAsync();
        // The connection used a warm socket: count once the router has opened its replacement.
        await stack.WaitForWarmSocketsAsync();
        var baseline = stack.RouterDescriptors();

        var clients = Enumerable.Range(0, 60).Select(async i =>
        {
            using var socket = await stack.ConnectRawAsync();
            switch (i % 4)
            {
                case 0:
                    await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes($"garbage {i} \u0001\u0002"));
                    await RouterStack.ReadUntilClosedAsync(socket, CloseDeadline);
                    break;
                case 1:
                    await socket.SendAsync(new byte[] { 0, 0, 0, 40, 0, 3, 0, 0, (byte)'u' });
                    break;
                case 2:
                    await socket.SendAsync(new byte[] { 0, 0 });
                    await RouterStack.ReadUntilClosedAsync(socket, CloseDeadline);
                    break;
                default:
                    break;
            }
        });
        await Task.WhenAll(clients);

        var (connection, landing) = await stack.OpenThroughRouterAsync();
        await connection.DisposeAsync();
        Assert.True(landing.InRecovery);
        await stack.WaitForWarmSocketsAsync();
        await Poll.UntilAsync(
            () => Task.FromResult(stack.RouterDescriptors()),
            count => count <= baseline,
            TimeSpan.FromSeconds(10),
            $"router descriptors back to {baseline}");
    }
}
