using System.Text.Json.Nodes;

namespace OdooAspire.OdooStandIn.Bus;

/// <summary>
/// bus.presence: a user's online/away status. A change is announced on the partner's presence channel
/// (bus.bus/im_status_updated), which is how one node's request reaches websockets on the others.
/// </summary>
public sealed class Presence(StandInDatabase database, BusHub bus)
{
    /// <summary>bus_presence.AWAY_TIMER: inactive this long, a user is away.</summary>
    public static readonly TimeSpan AwayTimer = TimeSpan.FromMinutes(30);

    public async Task UpdateAsync(int uid, long inactivityMilliseconds, CancellationToken cancellationToken)
    {
        var status = inactivityMilliseconds > AwayTimer.TotalMilliseconds ? "away" : "online";
        await using var command = database.Primary.CreateCommand(
            """
            WITH previous AS (SELECT status FROM bus_presence WHERE user_id = @uid)
            INSERT INTO bus_presence (user_id, status, last_poll, last_presence)
            VALUES (@uid, @status, now() at time zone 'utc', (now() at time zone 'utc') - @inactivity)
            ON CONFLICT (user_id) DO UPDATE SET status = EXCLUDED.status, last_poll = EXCLUDED.last_poll, last_presence = EXCLUDED.last_presence
            RETURNING (SELECT status FROM previous), (SELECT partner_id FROM res_users WHERE id = @uid)
            """);
        command.Parameters.AddWithValue("uid", uid);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("inactivity", TimeSpan.FromMilliseconds(inactivityMilliseconds));
        string? previous;
        int partnerId;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            previous = reader.IsDBNull(0) ? null : reader.GetString(0);
            partnerId = reader.GetInt32(1);
        }

        if (previous != status)
        {
            await bus.SendOneAsync(
                BusChannels.Presence(bus.Database, partnerId),
                "bus.bus/im_status_updated",
                new JsonObject { ["presence_status"] = status, ["im_status"] = status, ["partner_id"] = partnerId },
                cancellationToken);
        }
    }
}
