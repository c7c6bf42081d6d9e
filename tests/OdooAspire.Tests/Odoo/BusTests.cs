using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace OdooAspire.Tests.Odoo;

[Collection(OdooStackCollection.Name)]
public sealed class BusTests(OdooStackFixture stack)
{
    [Fact]
    public async Task A_bus_notification_sent_on_node_1_reaches_a_websocket_client_connected_to_node_3()
    {
        using var listener = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[2]);
        using var socket = await ConnectAsync(OdooStackFixture.Nodes[2], listener.SessionId!);
        await SendAsync(socket, new JsonObject
        {
            ["event_name"] = "subscribe",
            ["data"] = new JsonObject { ["channels"] = new JsonArray("odoo-presence-res.partner_3"), ["last"] = 0 },
        });

        // Node 1 changes the admin's presence: away, then online; at least the last one is a change.
        using var sender = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[0]);
        await sender.ResultAsync("/websocket/peek_notifications", new JsonObject { ["channels"] = new JsonArray(), ["last"] = 0, ["is_first_poll"] = true });
        foreach (var inactivity in new[] { 31 * 60 * 1000, 0 })
        {
            await sender.ResultAsync("/websocket/update_bus_presence", new JsonObject { ["inactivity_period"] = inactivity, ["im_status_ids_by_model"] = new JsonObject() });
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var batch = await ReceiveAsync(socket, deadline.Token);
            var online = batch.Select(n => n!["message"]!).FirstOrDefault(m =>
                m["type"]!.GetValue<string>() == "bus.bus/im_status_updated"
                && m["payload"]!["partner_id"]!.GetValue<int>() == 3
                && m["payload"]!["presence_status"]!.GetValue<string>() == "online");
            if (online is not null)
            {
                return;
            }
        }
    }

    [Fact]
    public async Task The_http_endpoint_refuses_the_websocket_and_names_the_gevent_port()
    {
        using var client = stack.Client(OdooStackFixture.Nodes[1]);

        using var response = await client.GetAsync("/websocket");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains($"evented port ({stack.Gevent(OdooStackFixture.Nodes[1]).Port})", await response.Content.ReadAsStringAsync());
    }

    private async Task<ClientWebSocket> ConnectAsync(string node, string sessionId)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Cookie", $"session_id={sessionId}");
        var gevent = stack.Gevent(node);
        await socket.ConnectAsync(new Uri($"ws://{gevent.Host}:{gevent.Port}/websocket"), CancellationToken.None);
        return socket;
    }

    private static Task SendAsync(WebSocket socket, JsonObject message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<JsonArray> ReceiveAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(buffer, cancellationToken);
            Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
            message.Write(buffer, 0, received.Count);
        }
        while (!received.EndOfMessage);

        return JsonNode.Parse(message.ToArray())!.AsArray();
    }
}
