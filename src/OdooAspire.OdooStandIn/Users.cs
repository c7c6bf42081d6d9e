using System.Text.Json.Nodes;
using OdooAspire.OdooStandIn.Sessions;

namespace OdooAspire.OdooStandIn;

/// <summary>res.users, reduced to what logging in needs.</summary>
public sealed class Users(StandInDatabase database)
{
    public async Task<(int Uid, string Hash)?> FindAsync(string login, CancellationToken cancellationToken)
    {
        await using var command = database.Primary.CreateCommand("SELECT id, password FROM res_users WHERE login = @login");
        command.Parameters.AddWithValue("login", login);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt32(0), reader.GetString(1)) : null;
    }

    public async Task<int?> PartnerIdAsync(int uid, CancellationToken cancellationToken)
    {
        await using var command = database.Primary.CreateCommand("SELECT partner_id FROM res_users WHERE id = @uid");
        command.Parameters.AddWithValue("uid", uid);
        return await command.ExecuteScalarAsync(cancellationToken) as int?;
    }

    public async Task<string?> PasswordHashAsync(int uid, CancellationToken cancellationToken)
    {
        await using var command = database.Primary.CreateCommand("SELECT password FROM res_users WHERE id = @uid");
        command.Parameters.AddWithValue("uid", uid);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>The part of ir.http.session_info() clients read after logging in.</summary>
    public async Task<JsonObject> SessionInfoAsync(OdooSession session, string databaseName, CancellationToken cancellationToken)
    {
        var uid = session.Uid;
        (int PartnerId, string Name)? partner = null;
        if (uid is not null)
        {
            await using var command = database.Primary.CreateCommand(
                "SELECT p.id, p.name FROM res_users u JOIN res_partner p ON p.id = u.partner_id WHERE u.id = @uid");
            command.Parameters.AddWithValue("uid", uid.Value);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                partner = (reader.GetInt32(0), reader.GetString(1));
            }
        }

        return new JsonObject
        {
            ["uid"] = uid,
            ["is_system"] = uid is not null,
            ["is_admin"] = uid is not null,
            ["is_public"] = uid is null,
            ["is_internal_user"] = uid is not null,
            ["user_context"] = session.Data["context"]?.DeepClone(),
            ["db"] = databaseName,
            ["server_version"] = "18.0 (OdooAspire stand-in)",
            ["server_version_info"] = new JsonArray(18, 0, 0, "final", 0, ""),
            ["name"] = partner?.Name,
            ["username"] = session.Login,
            ["partner_id"] = partner?.PartnerId,
            ["partner_display_name"] = partner?.Name,
        };
    }
}
