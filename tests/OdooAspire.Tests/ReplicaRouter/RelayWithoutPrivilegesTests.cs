using System.Diagnostics;
using System.Net.Http.Json;
using OdooAspire.ReplicaRouter;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>
/// The router started without the capabilities the kernel relay needs, as an unprivileged container or user runs
/// it: <c>setpriv</c> drops CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN (which also allows bpf(2)) from the process.
/// With <c>Relay=Auto</c> it relays in user space and says why; with <c>Relay=Kernel</c> it does not start.
/// </summary>
public sealed class RelayWithoutPrivilegesTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Without_CAP_BPF_the_router_relays_in_user_space_and_status_says_why()
    {
        var http = LoopbackPort.Free();
        var (router, _) = Start(http, relay: "Auto");
        using (router)
        {
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
                var status = await Poll.UntilAsync(
                    () => client.GetFromJsonAsync<RouterStatusDocument>("/status", RouterStack.StatusJson),
                    s => s is not null,
                    Deadline,
                    "the unprivileged router's /status");

                Assert.Equal(RelayMode.UserSpace, status!.Relay);
                Assert.Contains("CAP_BPF", status.KernelRelayUnavailable);
                Assert.False(router.HasExited);
            }
            finally
            {
                router.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Without_CAP_BPF_a_router_told_Relay_Kernel_does_not_start_and_says_what_to_do()
    {
        var (router, output) = Start(LoopbackPort.Free(), relay: "Kernel");
        using (router)
        {
            using var cts = new CancellationTokenSource(Deadline);
            try
            {
                await router.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                router.Kill(entireProcessTree: true);
                throw new TimeoutException($"the router was still running {Deadline.TotalSeconds:0} s after it was told Relay=Kernel without CAP_BPF");
            }

            Assert.NotEqual(0, router.ExitCode);
        }

        var text = await output;
        Assert.Contains("Relay=Kernel", text);
        Assert.Contains("CAP_BPF", text);
        Assert.Contains("Relay=Auto", text);
    }

    /// <summary>The router with one replica nobody listens for (port 1): enough to start and serve /status. Its output is read as it comes.</summary>
    private static (Process Router, Task<string> Output) Start(int httpPort, string relay)
    {
        var start = new ProcessStartInfo("setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
            Environment =
            {
                ["ReplicaRouter__ListenPort"] = LoopbackPort.Free().ToString(),
                ["ReplicaRouter__Replicas__0"] = "r1",
                ["ReplicaRouter__Relay"] = relay,
                ["ConnectionStrings__r1"] = "Host=127.0.0.1;Port=1;Username=postgres",
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}",
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "",
            },
        };
        foreach (var arg in (string[])["--bounding-set", "-bpf,-net_admin,-sys_admin", "--", "dotnet", Path.Combine(AppContext.BaseDirectory, "OdooAspire.ReplicaRouter.dll")])
        {
            start.ArgumentList.Add(arg);
        }

        var router = Process.Start(start) ?? throw new InvalidOperationException("setpriv (util-linux) did not start");
        var stdout = router.StandardOutput.ReadToEndAsync();
        var stderr = router.StandardError.ReadToEndAsync();
        return (router, Task.WhenAll(stdout, stderr).ContinueWith(t => string.Concat(t.Result), TaskScheduler.Default));
    }
}
