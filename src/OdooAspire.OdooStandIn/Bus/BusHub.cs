using System.Text.Json.Nodes;
using Npgsql;
using OdooAspire.Odoo;

namespace OdooAspire.OdooStandIn.Bus;

/// <summary>
/// Odoo's bus across nodes: a notification is a bus_bus row plus <c>pg_notify('imbus', channels)</c> on the
/// primary's <c>postgres</c> database; every node LISTENs there and wakes the websockets subscribed to
/// those channels, which then read the rows they have not sent yet.
/// </summary>
public sealed class BusHub(StandInDatabase database, OdooConf conf, ILogger<BusHub> logger) : BackgroundService
{
    public const string NotifyChannel = "imbus";

    /// <summary>bus.bus's TIMEOUT: a first subscription (last = 0) gets what was sent this recently.</summary>
    private static readonly TimeSpan Buffer = TimeSpan.FromSeconds(50);

    private readonly Lock _gate = new();
    private readonly List<BusSubscriber> _subscribers = [];

    public string Database => conf.Database;

    /// <summary>bus.bus._sendone: the row is committed before the NOTIFY, so a woken listener finds it.</summary>
    public async Task SendOneAsync(string channel, string type, JsonNode payload, CancellationToken cancellationToken)
    {
        await using (var insert = database.Primary.CreateCommand("INSERT INTO bus_bus (channel, message) VALUES (@channel, @message)"))
        {
            insert.Parameters.AddWithValue("channel", channel);
            insert.Parameters.AddWithValue("message", new JsonObject { ["type"] = type, ["payload"] = payload }.ToJsonString());
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var notify = database.Bus.CreateCommand("SELECT pg_notify(@name, @channels)");
        notify.Parameters.AddWithValue("name", NotifyChannel);
        notify.Parameters.AddWithValue("channels", new JsonArray(JsonNode.Parse(channel)).ToJsonString());
        await notify.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>bus.bus._poll: the notifications on <paramref name="channels"/> after <paramref name="last"/>.</summary>
    public async Task<JsonArray> PollAsync(IReadOnlyCollection<string> channels, long last, CancellationToken cancellationToken)
    {
        await using var command = database.Primary.CreateCommand(last > 0
            ? "SELECT id, message FROM bus_bus WHERE id > @last AND channel = ANY(@channels) ORDER BY id"
            : "SELECT id, message FROM bus_bus WHERE create_date > (now() at time zone 'utc') - @buffer AND channel = ANY(@channels) ORDER BY id");
        command.Parameters.AddWithValue("last", last);
        command.Parameters.AddWithValue("buffer", Buffer);
        command.Parameters.AddWithValue("channels", channels.ToArray());
        var notifications = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            notifications.Add(new JsonObject { ["id"] = reader.GetInt64(0), ["message"] = JsonNode.Parse(reader.GetString(1)) });
        }

        return notifications;
    }

    /// <summary>The highest notification id: a client's 'last' beyond it is stale (a restored database).</summary>
    public async Task<long> LastIdAsync(CancellationToken cancellationToken)
    {
        await using var command = database.Primary.CreateCommand("SELECT coalesce(max(id), 0) FROM bus_bus");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public void Add(BusSubscriber subscriber)
    {
        lock (_gate)
        {
            _subscribers.Add(subscriber);
        }
    }

    public void Remove(BusSubscriber subscriber)
    {
        lock (_gate)
        {
            _subscribers.Remove(subscriber);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken);
            }
            catch (Exception ex) when ((ex is NpgsqlException or TimeoutException) && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Bus: lost LISTEN {Channel} on the primary's postgres database ({Reason}); reconnecting", NotifyChannel, ex.Message);
                // A dead primary refuses at once: wait a little between attempts rather than spin.
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        // LISTEN needs one session for as long as it listens: its own connection, never a pooled one.
        var csb = new NpgsqlConnectionStringBuilder(database.BusConnectionString) { Pooling = false, KeepAlive = 10 };
        await using var connection = new NpgsqlConnection(csb.ConnectionString);
        connection.Notification += (_, e) => Wake(e.Payload);
        await connection.OpenAsync(stoppingToken);
        await using (var listen = new NpgsqlCommand($"LISTEN {NotifyChannel}", connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken);
        }

        logger.LogInformation("Bus: listening on {Channel} on the primary's postgres database", NotifyChannel);
        // Anything sent while this node was not listening is picked up by the subscribers' next poll.
        Wake(null);
        while (!stoppingToken.IsCancellationRequested)
        {
            await connection.WaitAsync(stoppingToken);
        }
    }

    private void Wake(string? payload)
    {
        HashSet<string>? channels = null;
        if (payload is not null && JsonNode.Parse(payload) is JsonArray list)
        {
            channels = list.Select(c => c!.ToJsonString()).ToHashSet();
        }

        BusSubscriber[] subscribers;
        lock (_gate)
        {
            subscribers = [.. _subscribers];
        }

        foreach (var subscriber in subscribers.Where(s => channels is null || s.Listens(channels)))
        {
            subscriber.Wake();
        }
    }
}

/// <summary>One websocket's subscription: its channels, the last notification it got, and a wake-up signal.</summary>
public sealed class BusSubscriber
{
    private readonly SemaphoreSlim _signal = new(0, 1);
    private volatile HashSet<string> _channels = [];

    public long Last { get; set; }

    public IReadOnlyCollection<string> Channels => _channels;

    public void Subscribe(HashSet<string> channels, long last)
    {
        _channels = channels;
        Last = last;
        Wake();
    }

    public bool Listens(IEnumerable<string> channels) => channels.Any(_channels.Contains);

    public void Wake()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled by a concurrent wake: one pending wake-up is enough.
            }
        }
    }

    public Task WaitAsync(CancellationToken cancellationToken) => _signal.WaitAsync(cancellationToken);
}
