using System.Diagnostics;
using OdooAspire.AppHost.Runtime;

namespace OdooAspire.Tests.Edge;

/// <summary>
/// Debian's chromium, headless: loads one page with a fresh profile (empty cache, no cookies) and returns the DOM after
/// the page's load event, as <c>--dump-dom</c> prints it. Bounded in time; the browser and its children are killed after.
/// </summary>
public static class HeadlessChromium
{
    public const string Package = "chromium";

    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The DOM of <paramref name="page"/>, trusting exactly the certificate whose public key hashes to <paramref name="certificatePin"/>.</summary>
    public static async Task<string> DumpDomAsync(Uri page, string certificatePin)
    {
        var chromium = Locate(Executables.PathDirectories());
        var profile = Directory.CreateTempSubdirectory("odooaspire-chromium-");
        var start = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--no-default-browser-check", $"--user-data-dir={profile.FullName}",
            // Trusts the edge's development certificate by its key, and nothing else that would fail validation.
            $"--ignore-certificate-errors-spki-list={certificatePin}",
            "--dump-dom", page.ToString(),
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var dom = process.StandardOutput.ReadToEndAsync();
        var log = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(LoadTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"chromium did not finish loading {page} within {LoadTimeout.TotalSeconds:0} s; its log:\n{Tail(await StopAsync(process, log))}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            try
            {
                profile.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A helper process may still hold a file for a moment; the folder is under /tmp and named as ours.
            }
        }

        var output = await dom;
        if (process.ExitCode != 0 || output.Length == 0)
        {
            throw new Xunit.Sdk.XunitException($"chromium exited {process.ExitCode} loading {page} with no page; its log:\n{Tail(await log)}");
        }

        return output;
    }

    /// <summary>chromium in <paramref name="directories"/>, or a test failure naming the package: a missing browser never skips the test.</summary>
    public static string Locate(IEnumerable<string> directories) =>
        Executables.FindIn(directories, Package)
            ?? throw new Xunit.Sdk.XunitException($"chromium not found on PATH: apt-get install {Package} (the edge's browser test needs Debian's {Package} package)");

    private static async Task<string> StopAsync(Process process, Task<string> log)
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        return await log;
    }

    private static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(20));
}
