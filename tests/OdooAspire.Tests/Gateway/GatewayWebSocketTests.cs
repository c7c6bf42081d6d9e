using OdooAspire.Tests.Infrastructure;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using OdooAspire.Tests.Odoo;

namespace OdooAspire.Tests.Gateway;

/// <summary>/websocket through the gateway reaches a node's gevent endpoint, and a bus client survives its node dying.</summary>
[Collection(GatewayStackCollection.Name)]
public sealed class GatewayWebSocketTests(GatewayStackFixture stack)
{
    private const string PresenceChannel = "odoo-presence-res.partner_3";

    private async Task<(ClientWebSocket Socket, string Node)> ConnectAsync(string sessionId)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Cookie", $"session_id={sessionId}");
        // Browsers always send Origin; Odoo refuses a handshake without one.
        socket.Options.SetRequestHeader("Origin", stack.Gateway.GetLeftPart(UriPartial.Authority));
        socket.Options.CollectHttpResponseDetails = true;
        await socket.ConnectAsync(new UriBuilder(stack.Gateway) { Scheme = "ws", Path = "/websocket" }.Uri, CancellationToken.None);
        var node = socket.HttpResponseHeaders!["X-OdooAspire-Node"].Single();
        await socket.SendAsync(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["event_name"] = "subscribe",
            ["data"] = new JsonObject { ["channels"] = new JsonArray(PresenceChannel), ["last"] = 0 },
        }.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        return (socket, node);
    }

    /// <summary>Changes the admin's presence through the gateway (away, then online) so the bus has news for partner 3.</summary>
    private static async Task TogglePresenceAsync(OdooClient user)
    {
        await user.ResultAsync("/websocket/peek_notifications", new JsonObject { ["channels"] = new JsonArray(), ["last"] = 0, ["is_first_poll"] = true });
        foreach (var inactivity in new[] { 31 * 60 * 1000, 0 })
        {
            await user.ResultAsync("/websocket/update_bus_presence", new JsonObject { ["inactivity_period"] = inactivity, ["im_status_ids_by_model"] = new JsonObject() });
        }
    }

    private static Task ReceivePresenceAsync(ClientWebSocket socket) =>
        BusSocket.ReceiveAsync(socket, BusSocket.PresenceUpdated, TimeSpan.FromSeconds(10));

    private static async Task WaitUntilDroppedAsync(ClientWebSocket socket)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        try
        {
            while ((await socket.ReceiveAsync(buffer, deadline.Token)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (WebSocketException)
        {
            // The connection dropped with the node: what a bus client sees before it reconnects.
        }
    }

    [Fact]
    public async Task A_bus_client_reconnects_through_the_gateway_after_its_node_dies_and_gets_notifications_again()
    {
        using var user = new OdooClient(stack.Gateway);
        var login = await user.AuthenticateAsync(OdooStackFixture.Database, "admin", stack.AdminPassword);
        Assert.True(login["error"] is null, login["error"]?.ToJsonString());

        var (socket, node) = await ConnectAsync(user.SessionId!);
        using (socket)
        {
            await TogglePresenceAsync(user);
            await ReceivePresenceAsync(socket);

            GatewayStackFixture.Signal(stack.Processes(node), "KILL");
            try
            {
                await WaitUntilDroppedAsync(socket);
                Assert.NotEqual(WebSocketState.Open, socket.State);

                var (reconnected, other) = await ConnectAsync(user.SessionId!);
                using (reconnected)
                {
                    Assert.NotEqual(node, other);
                    await TogglePresenceAsync(user);
                    await ReceivePresenceAsync(reconnected);
                }
            }
            finally
            {
                await stack.RestartAsync(node);
            }
        }
    }
}
