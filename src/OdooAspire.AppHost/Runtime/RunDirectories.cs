using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;

namespace OdooAspire.AppHost.Runtime;

/// <summary>
/// Where the process runtime keeps this run's server data: a fresh folder per AppHost run, outside the
/// repository (<c>OdooAspire:DataRoot</c>, default the temp directory). Folders of AppHosts that are no
/// longer running are removed at start, so test runs do not fill the disk.
/// </summary>
public static class RunDirectories
{
    public const string ConfigurationKey = "OdooAspire:DataRoot";
    private const string Prefix = "run-";

    private static readonly ConditionalWeakTable<IDistributedApplicationBuilder, string> Runs = new();

    /// <summary>This run's folder; created on first use.</summary>
    public static string RunDirectory(this IDistributedApplicationBuilder builder) =>
        Runs.GetValue(builder, b => Create(b.Configuration));

    private static string Create(IConfiguration configuration)
    {
        var root = configuration[ConfigurationKey] is { Length: > 0 } configured
            ? configured
            : Path.Combine(Path.GetTempPath(), "odooaspire");
        Directory.CreateDirectory(root);
        RemoveAbandoned(root);

        var run = Path.Combine(root, $"{Prefix}{Environment.ProcessId}-{DateTime.UtcNow:yyyyMMddHHmmssfff}");
        Directory.CreateDirectory(run);
        return run;
    }

    private static void RemoveAbandoned(string root)
    {
        foreach (var directory in Directory.EnumerateDirectories(root, Prefix + "*"))
        {
            var pidText = Path.GetFileName(directory)[Prefix.Length..].Split('-')[0];
            if (int.TryParse(pidText, CultureInfo.InvariantCulture, out var pid) && !IsRunning(pid))
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (IOException)
                {
                    // A server of that run may still be shutting down; the next start removes it.
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
