using Npgsql;
using OdooAspire.Tests.Infrastructure;
using StackExchange.Redis;

namespace OdooAspire.Tests.Spine;

/// <summary>One spine (primary, two replicas, Redis) shared by the read-only checks below.</summary>
public sealed class SpineFixture : IAsyncLifetime
{
    public DistributedApplication App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await TestStack.StartAsync();
        foreach (var resource in SpineResources.All)
        {
            await App.WaitHealthyAsync(resource);
        }
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

public static class SpineResources
{
    public static readonly string[] Replicas = [ResourceNames.PostgresReplica(1), ResourceNames.PostgresReplica(2)];
    public static readonly string[] All = [ResourceNames.PostgresPrimary, .. Replicas, ResourceNames.Redis];
}

public sealed class ReplicationTests(SpineFixture spine) : IClassFixture<SpineFixture>
{
    [Fact]
    public async Task A_row_written_on_the_primary_is_readable_on_every_replica_within_5_seconds()
    {
        var primary = await spine.App.ConnectionStringAsync(ResourceNames.PostgresPrimary);
        var marker = Guid.NewGuid().ToString("N");
        await Sql.ExecuteAsync(primary, "CREATE TABLE IF NOT EXISTS spine_probe (marker text PRIMARY KEY)");
        await Sql.ExecuteAsync(primary, $"INSERT INTO spine_probe VALUES ('{marker}')");

        foreach (var replica in SpineResources.Replicas)
        {
            var connectionString = await spine.App.ConnectionStringAsync(replica);
            await Poll.UntilAsync(
                () => Sql.ScalarAsync<long>(connectionString, $"SELECT count(*) FROM spine_probe WHERE marker = '{marker}'"),
                count => count == 1,
                TimeSpan.FromSeconds(5),
                $"row visible on {replica}");
        }
    }

    [Fact]
    public async Task Replicas_are_in_recovery_and_the_primary_is_not()
    {
        Assert.False(await Sql.ScalarAsync<bool>(await spine.App.ConnectionStringAsync(ResourceNames.PostgresPrimary), "SELECT pg_is_in_recovery()"));
        foreach (var replica in SpineResources.Replicas)
        {
            Assert.True(await Sql.ScalarAsync<bool>(await spine.App.ConnectionStringAsync(replica), "SELECT pg_is_in_recovery()"), replica);
        }
    }

    [Fact]
    public async Task The_primary_streams_to_one_walsender_per_replica()
    {
        var primary = await spine.App.ConnectionStringAsync(ResourceNames.PostgresPrimary);
        var rows = await Poll.UntilAsync(
            () => Sql.ReplicationAsync(primary),
            rows => rows.Count == SpineResources.Replicas.Length && rows.All(r => r.State == "streaming"),
            TimeSpan.FromSeconds(10),
            "two streaming replicas in pg_stat_replication");
        Assert.Equal(SpineResources.Replicas, rows.Select(r => r.Name));
    }

    [Fact]
    public async Task A_replica_refuses_writes()
    {
        var replica = await spine.App.ConnectionStringAsync(SpineResources.Replicas[0]);
        var error = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(replica, "CREATE TABLE must_fail (id int)"));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, error.SqlState);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_by_the_primary()
    {
        var primary = new NpgsqlConnectionStringBuilder(await spine.App.ConnectionStringAsync(ResourceNames.PostgresPrimary)) { Password = "wrong" };
        var error = await Assert.ThrowsAsync<PostgresException>(() => Sql.ScalarAsync<int>(primary.ConnectionString, "SELECT 1"));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, error.SqlState);
    }

    [Fact]
    public async Task Redis_rejects_a_command_without_the_password_and_accepts_it_with_the_connection_string()
    {
        var connectionString = await spine.App.ConnectionStringAsync(ResourceNames.Redis);
        var options = ConfigurationOptions.Parse(connectionString);
        var endpoint = options.EndPoints.Single();

        // Speak RESP by hand: a client library would hide the server's NOAUTH answer behind its own retries.
        using (var client = new System.Net.Sockets.TcpClient())
        {
            var address = (System.Net.DnsEndPoint)endpoint;
            await client.ConnectAsync(address.Host, address.Port);
            var stream = client.GetStream();
            await stream.WriteAsync("SET spine:probe x\r\n"u8.ToArray());
            var buffer = new byte[256];
            var read = await stream.ReadAsync(buffer);
            Assert.StartsWith("-NOAUTH", System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString);
        Assert.True(await redis.GetDatabase().StringSetAsync("spine:probe", "ok"));
        Assert.Equal("ok", (string?)await redis.GetDatabase().StringGetAsync("spine:probe"));
    }

    [Fact]
    public async Task Redis_persists_to_an_append_only_file()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(
            await spine.App.ConnectionStringAsync(ResourceNames.Redis) + ",allowAdmin=true");
        var server = redis.GetServers().Single();
        var appendOnly = await server.ConfigGetAsync("appendonly");
        Assert.Equal("yes", Assert.Single(appendOnly).Value);
    }
}
