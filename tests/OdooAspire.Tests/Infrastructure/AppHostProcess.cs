using System.Diagnostics;

namespace OdooAspire.Tests.Infrastructure;

/// <summary>Runs the built AppHost as its own process, as a user's `dotnet run` would, for what happens before any resource starts.</summary>
public static class AppHostProcess
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    public static async Task<Result> RunAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var appHost = Path.Combine(AppContext.BaseDirectory, "OdooAspire.AppHost.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(appHost);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the AppHost did not exit within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds:0} s: {await stdout}");
        }

        return new(process.ExitCode, await stdout, await stderr);
    }
}
