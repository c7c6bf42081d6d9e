using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Npgsql;
using OdooAspire.Tests.Infrastructure;
using OdooAspire.Tests.Odoo;

namespace OdooAspire.Tests.Gateway;

/// <summary>The whole stack on the process runtime (stand-in nodes), with the gateway healthy in front of three nodes.</summary>
public sealed class GatewayStackFixture : IAsyncLifetime
{
    private readonly OdooStackFixture _stack = new();

    public DistributedApplication App => _stack.App;

    public string AdminPassword => _stack.AdminPassword;

    public Uri Gateway { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _stack.InitializeAsync();
        await App.WaitHealthyAsync(ResourceNames.Gateway);
        Gateway = App.GetEndpoint(ResourceNames.Gateway, "http");
        Client = new HttpClient { BaseAddress = Gateway, Timeout = TimeSpan.FromSeconds(10) };
        await WaitForStateAsync(OdooStackFixture.Nodes, "up", TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await _stack.DisposeAsync();
    }

    /// <summary>The http cluster's node states on /gateway/status (JSON).</summary>
    public async Task<Dictionary<string, string>> NodeStatesAsync() =>
        (await NodesAsync()).ToDictionary(n => n.GetProperty("id").GetString()!, n => n.GetProperty("state").GetString()!);

    /// <summary>How many attempts the gateway has ever sent to <paramref name="node"/>.</summary>
    public async Task<long> SentAsync(string node) =>
        (await NodesAsync()).Single(n => n.GetProperty("id").GetString() == node).GetProperty("sent").GetInt64();

    private async Task<List<JsonElement>> NodesAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/gateway/status");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await Client.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("clusters").EnumerateArray()
            .Single(c => c.GetProperty("id").GetString() == ResourceNames.GatewayHttpCluster)
            .GetProperty("nodes").EnumerateArray()
            .Select(n => n.Clone())
            .ToList();
    }

    public Task WaitForStateAsync(IEnumerable<string> nodes, string state, TimeSpan deadline) =>
        Poll.UntilAsync(NodeStatesAsync, states => nodes.All(n => states.GetValueOrDefault(n) == state), deadline,
            $"{string.Join(", ", nodes)} {state} on /gateway/status", TimeSpan.FromMilliseconds(50));

    /// <summary>
    /// The processes of a node: the one DCP started and everything under it (a project may run under a launcher,
    /// and killing only the launcher would leave the server running).
    /// </summary>
    public IReadOnlyList<int> Processes(string node)
    {
        Assert.True(App.ResourceNotifications.TryGetCurrentState(node, out var resource), $"{node} has no state");
        var pid = resource.Snapshot.Properties.SingleOrDefault(p => p.Name == "executable.pid")?.Value
            ?? throw new InvalidOperationException($"{node} has no process id");
        var processes = new List<int>();
        var pending = new Stack<int>([Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture)]);
        while (pending.TryPop(out var next))
        {
            processes.Add(next);
            foreach (var task in Directory.EnumerateDirectories($"/proc/{next}/task"))
            {
                foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    pending.Push(int.Parse(child, System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }

        return processes;
    }

    public static void Signal(IEnumerable<int> processes, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", .. processes.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>How many partners the database holds with each of <paramref name="markers"/> as name.</summary>
    public async Task<Dictionary<string, long>> PartnerCountsAsync(IEnumerable<string> markers)
    {
        var primary = new NpgsqlConnectionStringBuilder(await App.ConnectionStringAsync(ResourceNames.PostgresPrimary))
        {
            Database = OdooStackFixture.Database,
            Pooling = false,
        };
        await using var connection = new NpgsqlConnection(primary.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT name, count(*) FROM res_partner WHERE name = ANY(@names) GROUP BY name", connection);
        command.Parameters.AddWithValue("names", markers.ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        var counts = new Dictionary<string, long>();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>Restarts a node with the resource start command and waits until the gateway has it up again.</summary>
    public async Task RestartAsync(string node)
    {
        await App.ResourceCommands.ExecuteCommandAsync(node, KnownResourceCommands.StartCommand);
        // A killed node reports "failed" until it runs again; health is only meaningful after that.
        using (var running = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
        {
            await App.ResourceNotifications.WaitForResourceAsync(node, KnownResourceStates.Running, running.Token);
        }

        await App.WaitHealthyAsync(node, TimeSpan.FromMinutes(2));
        await WaitForStateAsync([node], "up", TimeSpan.FromSeconds(10));
    }
}
