using System.Text.Json;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Spine;

/// <summary>What `dotnet run -- --publisher manifest` writes for azd: parameters, never secret values.</summary>
public sealed class PublishManifestTests
{
    [Fact]
    public async Task The_publish_manifest_holds_secret_parameters_and_no_literal_secret()
    {
        var output = Directory.CreateTempSubdirectory("odooaspire-manifest-");
        try
        {
            var manifestPath = Path.Combine(output.FullName, "aspire-manifest.json");
            // Values a user could have configured: none of them may reach the manifest.
            var sentinels = new Dictionary<string, string>
            {
                [$"Parameters__{ResourceNames.PostgresPassword}"] = "SentinelPostgres8d1c",
                [$"Parameters__{ResourceNames.PostgresReplicationPassword}"] = "SentinelReplication4e2b",
                [$"Parameters__{ResourceNames.RedisPassword}"] = "SentinelRedis7a3f",
            };

            var result = await AppHostProcess.RunAsync(["--publisher", "manifest", "--output-path", manifestPath], sentinels);

            Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
            var manifest = await File.ReadAllTextAsync(manifestPath);
            foreach (var value in sentinels.Values)
            {
                Assert.DoesNotContain(value, manifest);
            }

            var resources = JsonDocument.Parse(manifest).RootElement.GetProperty("resources");
            foreach (var secret in new[] { ResourceNames.PostgresPassword, ResourceNames.PostgresReplicationPassword, ResourceNames.RedisPassword })
            {
                var parameter = resources.GetProperty(secret);
                Assert.Equal("parameter.v0", parameter.GetProperty("type").GetString());
                Assert.True(parameter.GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean(), secret);
            }

            Assert.Contains($"Password={{{ResourceNames.PostgresPassword}.value}}",
                resources.GetProperty(ResourceNames.PostgresPrimary).GetProperty("connectionString").GetString());

            // The deployment describes the same topology, in images it builds (no bind mount to deploy):
            // each replica container streams from its own slot.
            for (var ordinal = 1; ordinal <= 2; ordinal++)
            {
                var replica = resources.GetProperty(ResourceNames.PostgresReplica(ordinal));
                Assert.Equal("container.v1", replica.GetProperty("type").GetString());
                Assert.EndsWith("Dockerfile", replica.GetProperty("build").GetProperty("dockerfile").GetString());
                Assert.Equal($"pg_replica_{ordinal}", replica.GetProperty("env").GetProperty("REPLICATION_SLOT").GetString());
            }

            Assert.DoesNotContain("bindMounts", manifest);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
