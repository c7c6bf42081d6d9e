using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OdooAspire.AppHost.Redis;
using OdooAspire.Tests.Infrastructure;
using StackExchange.Redis;

namespace OdooAspire.Tests.Spine;

/// <summary>
/// scripts/redis/redis.sh as the process runtime starts it, with a tiny memory limit: filled past it, Redis refuses writes,
/// keeps every key, and the dashboard's health check says the store is full and which setting raises the limit.
/// </summary>
public sealed class SessionStoreLimitTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("odooaspire-redis-limit-").FullName;
    private readonly int _port = LoopbackPort.Free();
    private readonly string _password = Guid.NewGuid().ToString("N");
    private Process _server = null!;
    private ConnectionMultiplexer _client = null!;

    private string ConnectionString => $"127.0.0.1:{_port},password={_password}";

    public async Task InitializeAsync()
    {
        _server = Process.Start(new ProcessStartInfo("bash", [RepositoryFiles.Path("src", "OdooAspire.AppHost", "scripts", "redis", "redis.sh"),
            "--maxmemory", "2mb", "--maxmemory-policy", "noeviction"])
        {
            RedirectStandardOutput = true,
            Environment =
            {
                ["REDIS_SERVER"] = "redis-server",
                ["REDIS_PORT"] = _port.ToString(),
                ["REDIS_PASSWORD"] = _password,
                ["REDIS_DIR"] = _dir,
            },
        })!;
        _ = _server.StandardOutput.ReadToEndAsync();
        _client = await Poll.UntilAsync(() => ConnectionMultiplexer.ConnectAsync(ConnectionString), c => c.IsConnected, TimeSpan.FromSeconds(30),
            $"redis.sh serving on port {_port}");
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        if (!_server.HasExited)
        {
            _server.Kill();
            await _server.WaitForExitAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_store_filled_past_its_limit_refuses_writes_evicts_nothing_and_reports_Degraded()
    {
        var healthCheck = new RedisHealthCheck(new Store(ConnectionString));
        var empty = await healthCheck.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Healthy, empty.Status);
        Assert.Matches(@"^session store \d+ % full \([\d.]+ of 2 MB\)$", empty.Description);

        var db = _client.GetDatabase();
        await db.StringSetAsync("odoo:session:first", "{\"uid\": 2}");
        var refused = await Assert.ThrowsAsync<RedisServerException>(async () =>
        {
            for (var i = 0; ; i++)
            {
                await db.StringSetAsync($"filler:{i}", new string('x', 1024));
            }
        });

        Assert.StartsWith("OOM", refused.Message);
        Assert.Equal("{\"uid\": 2}", (string?)await db.StringGetAsync("odoo:session:first"));
        var full = await healthCheck.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, full.Status);
        Assert.Matches(
            $@"^session store (9\d|1\d\d) % full \([\d.]+ of 2 MB\): new sessions are refused when full; raise {SessionStoreExtensions.MaxMemoryKey}$",
            full.Description);
    }

    [Fact]
    public async Task A_store_that_does_not_answer_is_Unhealthy()
    {
        _server.Kill();
        await _server.WaitForExitAsync();

        var result = await new RedisHealthCheck(new Store(ConnectionString)).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.StartsWith("redis does not answer", result.Description);
    }

    [Fact]
    public void A_store_with_no_limit_is_Degraded_and_names_the_setting()
    {
        var result = RedisHealthCheck.Fill(used: 1_000_000, limit: 0);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains(SessionStoreExtensions.MaxMemoryKey, result.Description);
    }

    /// <summary>The check's view of a Redis resource: its name and connection string.</summary>
    private sealed class Store(string connectionString) : IResourceWithConnectionString
    {
        public string Name => "redis";

        public ResourceAnnotationCollection Annotations { get; } = [];

        public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{connectionString}");
    }
}
