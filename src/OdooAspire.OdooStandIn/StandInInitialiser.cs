using Npgsql;
using OdooAspire.Odoo;

namespace OdooAspire.OdooStandIn;

/// <summary>
/// odoo-init for the stand-in: what <c>odoo-bin -i base --stop-after-init</c> and the init script do for real
/// Odoo, reduced to the stand-in's tables. Idempotent, so a rerun on an initialised database only resets the
/// admin password to the parameter's value.
/// </summary>
public static class StandInInitialiser
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS res_partner (
            id serial PRIMARY KEY,
            name varchar NOT NULL,
            email varchar,
            phone varchar,
            active boolean NOT NULL DEFAULT true,
            create_date timestamp without time zone NOT NULL DEFAULT (now() at time zone 'utc'),
            write_date timestamp without time zone NOT NULL DEFAULT (now() at time zone 'utc'));
        CREATE TABLE IF NOT EXISTS res_users (
            id serial PRIMARY KEY,
            login varchar NOT NULL UNIQUE,
            password varchar NOT NULL,
            partner_id integer NOT NULL REFERENCES res_partner (id));
        CREATE TABLE IF NOT EXISTS bus_bus (
            id bigserial PRIMARY KEY,
            channel varchar NOT NULL,
            message varchar NOT NULL,
            create_date timestamp without time zone NOT NULL DEFAULT (now() at time zone 'utc'));
        CREATE TABLE IF NOT EXISTS bus_presence (
            id serial PRIMARY KEY,
            user_id integer NOT NULL UNIQUE REFERENCES res_users (id) ON DELETE CASCADE,
            status varchar NOT NULL,
            last_poll timestamp without time zone NOT NULL,
            last_presence timestamp without time zone NOT NULL);
        -- As a fresh Odoo database has them: partner 3 is the admin's, uid 2 is admin.
        INSERT INTO res_partner (id, name, email) VALUES (3, 'Administrator', 'admin@example.com') ON CONFLICT (id) DO NOTHING;
        SELECT setval('res_partner_id_seq', GREATEST((SELECT max(id) FROM res_partner), 3));
        """;

    public static async Task RunAsync(OdooConf conf, string superuserConnectionString, string adminPassword, ILogger logger, CancellationToken cancellationToken)
    {
        var superuser = new NpgsqlConnectionStringBuilder(superuserConnectionString) { Database = "postgres", Pooling = false };
        await using (var admin = new NpgsqlConnection(superuser.ConnectionString))
        {
            await admin.OpenAsync(cancellationToken);
            var exists = await ScalarAsync(admin, "SELECT count(*) FROM pg_roles WHERE rolname = @name", ("name", conf.DbUser), cancellationToken) > 0;
            // Role names cannot be parameters; the name is the AppHost's constant, quoted all the same.
            var role = new NpgsqlCommandBuilder().QuoteIdentifier(conf.DbUser);
            await ExecuteAsync(admin, $"{(exists ? "ALTER" : "CREATE")} ROLE {role} LOGIN CREATEDB PASSWORD '{conf.DbPassword.Replace("'", "''")}'", cancellationToken);
            if (await ScalarAsync(admin, "SELECT count(*) FROM pg_database WHERE datname = @name", ("name", conf.Database), cancellationToken) == 0)
            {
                await ExecuteAsync(admin, $"CREATE DATABASE {new NpgsqlCommandBuilder().QuoteIdentifier(conf.Database)} OWNER {role}", cancellationToken);
                logger.LogInformation("Odoo stand-in: created database {Database} owned by {Role}", conf.Database, conf.DbUser);
            }
        }

        var owner = new NpgsqlConnectionStringBuilder
        {
            Host = conf.DbHost,
            Port = conf.DbPort,
            Database = conf.Database,
            Username = conf.DbUser,
            Password = conf.DbPassword,
            Pooling = false,
        };
        await using var connection = new NpgsqlConnection(owner.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, Schema, cancellationToken);
        await using (var upsert = new NpgsqlCommand(
            """
            INSERT INTO res_users (id, login, password, partner_id) VALUES (@uid, @login, @hash, 3)
            ON CONFLICT (id) DO UPDATE SET password = EXCLUDED.password;
            SELECT setval('res_users_id_seq', GREATEST((SELECT max(id) FROM res_users), @uid));
            """, connection))
        {
            upsert.Parameters.AddWithValue("uid", OdooInitContract.AdminUid);
            upsert.Parameters.AddWithValue("login", OdooInitContract.AdminLogin);
            upsert.Parameters.AddWithValue("hash", Passwords.Hash(adminPassword));
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        logger.LogInformation("Odoo stand-in: database {Database} initialised; user {Login} (uid {Uid}) has the odoo-admin-password", conf.Database, OdooInitContract.AdminLogin, OdooInitContract.AdminUid);
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql, (string Name, string Value) parameter, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(parameter.Name, parameter.Value);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
