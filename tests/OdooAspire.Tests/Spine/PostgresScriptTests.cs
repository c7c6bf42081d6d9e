using System.Diagnostics;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Spine;

/// <summary>
/// scripts/postgres/postgres.sh on its own, as the process runtime starts it: what happens when the wrapper of a
/// previous start was killed while its server still ran (a stop under heavy load can end that way).
/// </summary>
public sealed class PostgresScriptTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("odooaspire-pgscript-").FullName;
    private readonly List<Process> _wrappers = [];
    private readonly int _port = LoopbackPort.Free();
    private readonly string _password = Guid.NewGuid().ToString("N");

    [Fact]
    public async Task A_server_left_running_by_a_killed_wrapper_is_shut_down_and_the_next_start_serves()
    {
        var first = Start();
        await WaitServingAsync();
        var leftover = PostmasterPid();

        first.Kill();
        await first.WaitForExitAsync();
        Assert.True(IsRunning(leftover), "killing the wrapper leaves its server running: the case under test");

        Start();
        // The earlier server answers until it is shut down: wait for a new postmaster, then for it to serve.
        await Poll.UntilAsync(() => Task.FromResult(File.Exists(PidFile) ? PostmasterPid() : leftover), pid => pid != leftover, Deadline,
            "a new postmaster on the data directory");
        await WaitServingAsync();

        Assert.False(IsRunning(leftover), $"the earlier server (pid {leftover}) still runs");
    }

    public void Dispose()
    {
        foreach (var wrapper in _wrappers.Where(w => !w.HasExited))
        {
            // SIGTERM: the wrapper turns it into a fast shutdown of its server.
            Process.Start("kill", ["-TERM", wrapper.Id.ToString()])!.WaitForExit();
            if (!wrapper.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                wrapper.Kill(entireProcessTree: true);
            }
        }

        if (File.Exists(PidFile) && int.TryParse(File.ReadLines(PidFile).First(), out var pid) && IsRunning(pid))
        {
            Process.GetProcessById(pid).Kill();
        }

        Directory.Delete(_dir, recursive: true);
    }

    private Process Start()
    {
        var script = RepositoryFiles.Path("src", "OdooAspire.AppHost", "scripts", "postgres", "postgres.sh");
        var start = new ProcessStartInfo("bash", [script, "primary"])
        {
            RedirectStandardOutput = true,
            Environment =
            {
                ["PGBIN"] = Directory.GetDirectories("/usr/lib/postgresql").OrderBy(d => int.Parse(Path.GetFileName(d))).Last() + "/bin",
                ["PGDATA"] = Path.Combine(_dir, "data"),
                ["PGPORT"] = _port.ToString(),
                ["POSTGRES_PASSWORD"] = _password,
                ["REPLICATION_PASSWORD"] = _password,
                ["REPLICA_SLOTS"] = "",
            },
        };

        // The server runs as 'postgres' when the tests run as root: it must be able to reach its data directory.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        var wrapper = Process.Start(start)!;
        _ = wrapper.StandardOutput.ReadToEndAsync();
        _wrappers.Add(wrapper);
        return wrapper;
    }

    private Task WaitServingAsync() =>
        Poll.UntilAsync(
            () => Sql.ScalarAsync<int>($"Host=127.0.0.1;Port={_port};Username=postgres;Password={_password};Pooling=false;Timeout=2", "SELECT 1"),
            one => one == 1,
            Deadline,
            $"postgres.sh serving on port {_port}");

    private string PidFile => Path.Combine(_dir, "data", "postmaster.pid");

    private int PostmasterPid() => int.Parse(File.ReadLines(PidFile).First());

    private static bool IsRunning(int pid) => Directory.Exists($"/proc/{pid}") && File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] != "Z";
}
