using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Spine;

/// <summary>A machine that lacks a server binary gets one line saying what to install, not a stack trace.</summary>
public sealed class PrerequisiteTests
{
    [Fact]
    public async Task Without_a_postgres_binary_the_AppHost_fails_fast_with_one_line_naming_the_Debian_package()
    {
        var empty = Directory.CreateTempSubdirectory("odooaspire-no-postgres-");
        try
        {
            var result = await AppHostProcess.RunAsync(
                ["--OdooAspire:Runtime=Processes", $"--OdooAspire:PostgresBinDirectory={empty.FullName}"],
                timeout: TimeSpan.FromSeconds(30));

            Assert.NotEqual(0, result.ExitCode);
            var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("postgres binary not found", line);
            Assert.Contains("apt-get install postgresql", line);
            Assert.DoesNotContain("   at ", result.StandardOutput + result.StandardError);
        }
        finally
        {
            empty.Delete();
        }
    }

    [Fact]
    public async Task An_unknown_runtime_is_refused_with_the_accepted_values()
    {
        var result = await AppHostProcess.RunAsync(["--OdooAspire:Runtime=Kubernetes"], timeout: TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Auto, Containers or Processes", line);
    }
}
