using Npgsql;

namespace OdooAspire.Tests.Infrastructure;

/// <summary>Small helpers to ask a PostgreSQL server of the stack one thing.</summary>
public static class Sql
{
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(WithoutPooling(connectionString));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public static async Task<int> ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(WithoutPooling(connectionString));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<List<(string Name, string State)>> ReplicationAsync(string primaryConnectionString)
    {
        await using var connection = new NpgsqlConnection(WithoutPooling(primaryConnectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT application_name, state FROM pg_stat_replication ORDER BY 1", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1)));
        }

        return rows;
    }

    /// <summary>Tests open short-lived connections; a pool would keep servers busy after a test stops them.</summary>
    private static string WithoutPooling(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5 }.ConnectionString;
}
