using System.Text.Json;
using OdooAspire.AppHost.Redis;
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
            // The gateway's allowed hosts have no default: azd asks the operator for the public names.
            var hosts = resources.GetProperty(ResourceNames.GatewayAllowedHosts).GetProperty("inputs").GetProperty("value");
            Assert.False(hosts.TryGetProperty("default", out _), hosts.ToString());
            Assert.Contains($"{{{ResourceNames.GatewayAllowedHosts}.value}}", resources.GetProperty(ResourceNames.Gateway).GetProperty("env").GetProperty("Gateway__AllowedHosts").GetString());
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
                Assert.False(replica.TryGetProperty("bindMounts", out _));
            }
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_manifest_describes_a_deployable_container_stack_whatever_runtime_this_machine_has()
    {
        var output = Directory.CreateTempSubdirectory("odooaspire-manifest-");
        try
        {
            var detected = Path.Combine(output.FullName, "detected.json");
            var processes = Path.Combine(output.FullName, "processes.json");
            Assert.Equal(0, (await AppHostProcess.RunAsync(["--publisher", "manifest", "--output-path", detected])).ExitCode);
            Assert.Equal(0, (await AppHostProcess.RunAsync(["--publisher", "manifest", "--output-path", processes, "--OdooAspire:Runtime=Processes"])).ExitCode);

            var manifest = await File.ReadAllTextAsync(detected);
            Assert.Equal(manifest, await File.ReadAllTextAsync(processes));

            var resources = JsonDocument.Parse(manifest).RootElement.GetProperty("resources").EnumerateObject()
                .ToDictionary(r => r.Name, r => r.Value);
            string Type(string name) => resources[name].GetProperty("type").GetString()!;

            Assert.DoesNotContain(resources.Values, r => r.GetProperty("type").GetString() == "executable.v0");
            Assert.DoesNotContain(resources.Values, r => r.TryGetProperty("bindMounts", out _));

            var nodes = new[] { ResourceNames.OdooInit, ResourceNames.OdooNode(1), ResourceNames.OdooNode(2), ResourceNames.OdooNode(3) };
            foreach (var node in nodes)
            {
                Assert.Equal("container.v1", Type(node));
                Assert.EndsWith("odoo-node/Dockerfile", resources[node].GetProperty("build").GetProperty("dockerfile").GetString());
            }

            var filestores = nodes.Select(n => resources[n].GetProperty("volumes").EnumerateArray()
                .Single(v => v.GetProperty("target").GetString() == "/var/lib/odoo").GetProperty("name").GetString()).Distinct();
            Assert.Single(filestores);

            foreach (var server in SpineResources.All)
            {
                Assert.StartsWith("container.", Type(server));
                Assert.NotEmpty(resources[server].GetProperty("volumes").EnumerateArray());
            }

            // Deployed, the session store keeps its memory limit and never evicts a live session.
            var redisCommand = string.Join(' ', resources[ResourceNames.Redis].GetProperty("args").EnumerateArray().Select(a => a.GetString()));
            Assert.Contains($"--maxmemory {SessionStoreExtensions.DefaultMaxMemory} --maxmemory-policy noeviction", redisCommand);

            Assert.Equal("project.v0", Type(ResourceNames.Gateway));
            Assert.Equal("project.v0", Type(ResourceNames.ReplicaRouter));

            var external = resources.Where(r => r.Value.TryGetProperty("bindings", out var bindings)
                    && bindings.EnumerateObject().Any(b => b.Value.TryGetProperty("external", out var e) && e.GetBoolean()))
                .Select(r => r.Key);
            Assert.Equal([ResourceNames.Gateway], external);

            foreach (var secret in new[] { ResourceNames.PostgresPassword, ResourceNames.PostgresReplicationPassword, ResourceNames.RedisPassword,
                ResourceNames.OdooDbPassword, ResourceNames.OdooAdminPassword, ResourceNames.OdooMasterPassword })
            {
                Assert.Equal("parameter.v0", Type(secret));
                Assert.True(resources[secret].GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean(), secret);
            }
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
