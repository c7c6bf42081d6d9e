using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace OdooAspire.Tests.Infrastructure;

/// <summary>Reads Odoo bus messages from a websocket until one of a given type arrives.</summary>
public static class BusSocket
{
    public const string PresenceUpdated = "bus.bus/im_status_updated";

    public static async Task ReceiveAsync(ClientWebSocket socket, string type, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer, timeout.Token);
                Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
                message.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);

            if (JsonNode.Parse(message.ToArray())!.AsArray().Any(n => n!["message"]!["type"]!.GetValue<string>() == type))
            {
                return;
            }
        }
    }
}
