using System.Net.WebSockets;
using System.Text;

namespace OdooAspire.Tests.Gateway;

/// <summary>/websocket goes to the nodes' gevent endpoints, and a client whose node dies reconnects to another one.</summary>
public sealed class WebSocketTests
{
    private static async Task<string> EchoAsync(ClientWebSocket socket, string text)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var message = await socket.ReceiveAsync(buffer, cts.Token);
        return Encoding.UTF8.GetString(buffer, 0, message.Count);
    }

    /// <summary>Returns once the connection is gone: a close frame or a dropped connection, as a bus client would see it.</summary>
    private static async Task WaitUntilClosedAsync(ClientWebSocket socket)
    {
        var buffer = new byte[256];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while ((await socket.ReceiveAsync(buffer, cts.Token)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (WebSocketException)
        {
        }
    }

    private static Uri WebSocketUri(Uri gateway) => new UriBuilder(gateway) { Scheme = "ws", Path = "/websocket" }.Uri;

    [Fact]
    public async Task An_idle_websocket_is_closed_after_the_configured_idle_timeout_and_new_ones_still_connect()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 1, settings: new Dictionary<string, string?>
        {
            ["WebSocketIdleTimeout"] = "00:00:01",
        });
        using var idle = new ClientWebSocket();
        await idle.ConnectAsync(WebSocketUri(gateway.Address), CancellationToken.None);

        await WaitUntilClosedAsync(idle);

        Assert.NotEqual(WebSocketState.Open, idle.State);
        using var next = new ClientWebSocket();
        await next.ConnectAsync(WebSocketUri(gateway.Address), CancellationToken.None);
        Assert.Equal("odoo-1: ping", await EchoAsync(next, "ping"));
    }

    [Fact]
    public async Task A_websocket_client_reconnects_through_the_gateway_after_its_node_dies()
    {
        await using var gateway = await InProcessGateway.StartAsync();
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(WebSocketUri(gateway.Address), CancellationToken.None);
        var first = await EchoAsync(socket, "hello");
        var node = first.Split(':')[0];
        Assert.Equal($"{node}: hello", first);

        await gateway[node].StopAsync();
        await WaitUntilClosedAsync(socket);
        Assert.NotEqual(WebSocketState.Open, socket.State);

        using var reconnected = new ClientWebSocket();
        await reconnected.ConnectAsync(WebSocketUri(gateway.Address), CancellationToken.None);
        var second = await EchoAsync(reconnected, "again");

        Assert.NotEqual(node, second.Split(':')[0]);
        Assert.EndsWith(": again", second);
    }
}
