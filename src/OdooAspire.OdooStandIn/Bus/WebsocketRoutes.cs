using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OdooAspire.OdooStandIn.JsonRpc;
using OdooAspire.OdooStandIn.Sessions;

namespace OdooAspire.OdooStandIn.Bus;

/// <summary>
/// /websocket and its HTTP companions (addons/bus/controllers/websocket.py). With workers, Odoo serves the
/// websocket on the gevent port only; the stand-in does the same, so the gateway's routing is tested.
/// </summary>
public static class WebsocketRoutes
{
    /// <summary>CloseCode.SESSION_EXPIRED in addons/bus/websocket.py.</summary>
    private const WebSocketCloseStatus SessionExpired = (WebSocketCloseStatus)4001;

    /// <summary>CloseCode.TRY_LATER: the client reconnects with back-off.</summary>
    private const WebSocketCloseStatus TryLater = (WebSocketCloseStatus)1013;

    public static void MapWebsocketRoutes(this IEndpointRouteBuilder routes)
    {
        routes.Map("/websocket", ServeAsync);
        routes.MapGet("/websocket/health", () => Results.Json(new { status = "pass" }));

        routes.MapJsonRpc("/websocket/peek_notifications", RouteAuth.Public, async (request, call) =>
        {
            if (call.Params["is_first_poll"]?.GetValueKind() == JsonValueKind.True)
            {
                request.Session.Set("is_websocket_session", true);
            }
            else if (!request.Session.Has("is_websocket_session"))
            {
                throw OdooException.SessionExpired();
            }

            var bus = request.Http.RequestServices.GetRequiredService<BusHub>();
            var channels = BusChannels.ForSubscription(bus.Database, call.Params["channels"] as JsonArray ?? [], await PartnerAsync(request));
            var last = call.Params["last"] is JsonValue value && value.TryGetValue<long>(out var l) ? l : 0;
            return new JsonObject
            {
                ["channels"] = new JsonArray([.. channels.Select(c => JsonNode.Parse(c))]),
                ["notifications"] = await bus.PollAsync(channels, last, request.Http.RequestAborted),
            };
        });

        routes.MapJsonRpc("/websocket/update_bus_presence", RouteAuth.Public, async (request, call) =>
        {
            if (!request.Session.Has("is_websocket_session"))
            {
                throw OdooException.SessionExpired();
            }

            if (request.Session.Uid is { } uid && call.Params["inactivity_period"] is JsonValue period && period.TryGetValue<long>(out var inactivity))
            {
                await request.Http.RequestServices.GetRequiredService<Presence>().UpdateAsync(uid, inactivity, request.Http.RequestAborted);
            }

            return new JsonObject();
        });
    }

    private static async Task ServeAsync(HttpContext http, StandInServices services, BusHub bus, Presence presence)
    {
        if (http.Connection.LocalPort != services.Conf.GeventPort)
        {
            // What Odoo with workers answers on its HTTP port: a RuntimeError, served as a 500.
            http.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await http.Response.WriteAsync($"Couldn't bind the websocket. Is the connection opened on the evented port ({services.Conf.GeventPort})?");
            return;
        }

        if (!http.WebSockets.IsWebSocketRequest)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            await http.Response.WriteAsync("Empty or incorrect websocket handshake: send Upgrade: websocket");
            return;
        }

        var request = await OdooRequest.OpenAsync(http, services);
        // Odoo persists the session on the handshake: the websocket authenticates with it from then on.
        request.Session.IsDirty = true;
        await request.SaveAsync();
        var sid = request.Session.Sid;
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        var subscriber = new BusSubscriber();
        bus.Add(subscriber);
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        try
        {
            var dispatch = DispatchAsync(socket, subscriber, request, sid, closing.Token);
            await ReceiveAsync(socket, subscriber, request, bus, presence, closing.Token);
            await closing.CancelAsync();
            await dispatch;
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The client went away: nothing to tell it.
        }
        finally
        {
            bus.Remove(subscriber);
        }
    }

    private static async Task ReceiveAsync(WebSocket socket, BusSubscriber subscriber, OdooRequest request, BusHub bus, Presence presence, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (socket.State == WebSocketState.Open)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer, cancellationToken);
                message.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage && received.MessageType != WebSocketMessageType.Close);

            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                return;
            }

            if (JsonNode.Parse(message.ToArray()) is not JsonObject { } envelope || envelope["event_name"]?.GetValue<string>() is not { } eventName)
            {
                // Odoo closes with INCORRECT_DATA on a message it cannot read.
                await socket.CloseAsync(WebSocketCloseStatus.InvalidPayloadData, "event_name is mandatory", cancellationToken);
                return;
            }

            var data = envelope["data"] as JsonObject ?? [];
            switch (eventName)
            {
                case "subscribe":
                    var last = data["last"] is JsonValue value && value.TryGetValue<long>(out var l) ? l : 0;
                    var channels = BusChannels.ForSubscription(bus.Database, data["channels"] as JsonArray ?? [], await PartnerAsync(request));
                    subscriber.Subscribe(channels, last > await bus.LastIdAsync(cancellationToken) ? 0 : last);
                    break;
                case "update_presence" when request.Session.Uid is { } uid && data["inactivity_period"] is JsonValue period && period.TryGetValue<long>(out var inactivity):
                    await presence.UpdateAsync(uid, inactivity, cancellationToken);
                    break;
            }
        }
    }

    /// <summary>Sends what the subscribed channels received whenever the bus wakes this socket.</summary>
    private static async Task DispatchAsync(WebSocket socket, BusSubscriber subscriber, OdooRequest request, string sid, CancellationToken cancellationToken)
    {
        var bus = request.Http.RequestServices.GetRequiredService<BusHub>();
        while (!cancellationToken.IsCancellationRequested)
        {
            await subscriber.WaitAsync(cancellationToken);
            if (subscriber.Channels.Count == 0)
            {
                continue;
            }

            // As Odoo's _dispatch_bus_notifications: the session is re-read first; a logged-out user gets nothing more.
            OdooSession session;
            try
            {
                session = await request.Services.Sessions.GetAsync(sid);
            }
            catch (SessionStoreUnavailableException)
            {
                await socket.CloseAsync(TryLater, "TRY_LATER", cancellationToken);
                return;
            }

            if (request.Session.Uid is not null && session.Uid != request.Session.Uid)
            {
                await socket.CloseAsync(SessionExpired, "SESSION_EXPIRED", cancellationToken);
                return;
            }

            var notifications = await bus.PollAsync(subscriber.Channels, subscriber.Last, cancellationToken);
            if (notifications.Count == 0)
            {
                continue;
            }

            subscriber.Last = notifications[^1]!["id"]!.GetValue<long>();
            await socket.SendAsync(Encoding.UTF8.GetBytes(notifications.ToJsonString()), WebSocketMessageType.Text, true, cancellationToken);
        }
    }

    private static async Task<int?> PartnerAsync(OdooRequest request) =>
        request.Session.Uid is { } uid ? await request.Services.Users.PartnerIdAsync(uid, request.Http.RequestAborted) : null;
}
