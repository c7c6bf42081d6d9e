using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OdooAspire.OdooStandIn.JsonRpc;

namespace OdooAspire.OdooStandIn.Bus;

/// <summary>
/// Odoo's bus channels as stored in bus_bus.channel: the JSON of <c>channel_with_db</c>, e.g.
/// <c>["odoo","broadcast"]</c> or <c>["odoo","res.partner",3,"presence"]</c>.
/// </summary>
public static partial class BusChannels
{
    public static string Named(string database, string name) => new JsonArray(database, name).ToJsonString();

    public static string Partner(string database, int partnerId) => new JsonArray(database, "res.partner", partnerId).ToJsonString();

    public static string Presence(string database, int partnerId) => new JsonArray(database, "res.partner", partnerId, "presence").ToJsonString();

    /// <summary>
    /// ir.websocket._prepare_subscribe_data: the client's string channels (presence channels resolved), plus
    /// 'broadcast' and, for a logged-in user, their partner's channel.
    /// </summary>
    public static HashSet<string> ForSubscription(string database, IEnumerable<JsonNode?> requested, int? userPartnerId)
    {
        var channels = new HashSet<string> { Named(database, "broadcast") };
        foreach (var channel in requested)
        {
            if (channel is not JsonValue value || !value.TryGetValue<string>(out var name))
            {
                throw OdooException.ValueError("bus.Bus only string channels are allowed.");
            }

            // Presence of a partner is visible to internal users only, as in Odoo.
            if (PresenceChannel().Match(name) is { Success: true } presence)
            {
                if (userPartnerId is not null)
                {
                    channels.Add(Presence(database, int.Parse(presence.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
                }

                continue;
            }

            channels.Add(Named(database, name));
        }

        if (userPartnerId is { } partner)
        {
            channels.Add(Partner(database, partner));
        }

        return channels;
    }

    [GeneratedRegex("^odoo-presence-res\\.partner_([0-9]{1,9})$")]
    private static partial Regex PresenceChannel();
}
