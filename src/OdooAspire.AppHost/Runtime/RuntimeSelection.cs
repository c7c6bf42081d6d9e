using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OdooAspire.AppHost.Runtime;

/// <summary>Chooses containers or processes for this run (<c>OdooAspire:Runtime</c>) and says why.</summary>
public static class RuntimeSelection
{
    public const string ConfigurationKey = "OdooAspire:Runtime";
    private static readonly TimeSpan EngineProbeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Decides the runtime before any resource is added, and logs the decision when the app starts.
    /// Publishing always describes the container deployment, whatever this machine has.
    /// </summary>
    public static RuntimeChoice ChooseRuntime(this IDistributedApplicationBuilder builder)
    {
        var choice = Decide(builder);
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OdooAspire.Runtime");
            logger.LogInformation("OdooAspire runtime: {Runtime} ({Reason})", choice.Runtime, choice.Reason);
            return Task.CompletedTask;
        });
        return choice;
    }

    private static RuntimeChoice Decide(IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return new(StackRuntime.Containers, "publishing always describes the container deployment");
        }

        var configured = builder.Configuration[ConfigurationKey];
        if (string.IsNullOrWhiteSpace(configured))
        {
            configured = nameof(StackRuntime.Auto);
        }

        if (!Enum.TryParse<StackRuntime>(configured, ignoreCase: true, out var runtime))
        {
            throw new MissingPrerequisiteException(
                $"{ConfigurationKey}='{configured}' is not a runtime: use Auto, Containers or Processes");
        }

        return runtime switch
        {
            StackRuntime.Auto => Probe(builder.Configuration),
            _ => new(runtime, $"{ConfigurationKey}={runtime}"),
        };
    }

    private static RuntimeChoice Probe(IConfiguration configuration)
    {
        var cli = configuration["ASPIRE_CONTAINER_RUNTIME"];
        var candidates = string.IsNullOrWhiteSpace(cli) ? new[] { "docker", "podman" } : [cli];
        var reasons = new List<string>();
        foreach (var candidate in candidates)
        {
            if (Executables.Find(candidate) is not { } path)
            {
                reasons.Add($"no {candidate} CLI on PATH");
                continue;
            }

            var (answered, detail) = AsksEngine(path);
            if (answered)
            {
                return new(StackRuntime.Containers, $"{candidate} engine {detail} answered");
            }

            reasons.Add($"{candidate} CLI found but its engine did not answer: {detail}");
        }

        return new(StackRuntime.Processes, string.Join("; ", reasons));
    }

    private static (bool Answered, string Detail) AsksEngine(string cliPath)
    {
        var start = new ProcessStartInfo(cliPath, ["info", "--format", "{{.ServerVersion}}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(EngineProbeTimeout))
            {
                process.Kill(entireProcessTree: true);
                return (false, $"no answer within {EngineProbeTimeout.TotalSeconds:0} s");
            }

            var version = stdout.Result.Trim();
            return process.ExitCode == 0 && version.Length > 0
                ? (true, version)
                : (false, FirstLine(stderr.Result) ?? $"exit code {process.ExitCode}");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (false, ex.Message);
        }
    }

    private static string? FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
}
