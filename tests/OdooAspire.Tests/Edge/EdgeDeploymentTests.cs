using System.Diagnostics;
using System.Text;
using System.Text.Json;
using OdooAspire.AppHost.Edge;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Edge;

/// <summary>The edge as azd deploys it: its manifest entry, and the start script that turns its environment into nginx's files.</summary>
public sealed class EdgeDeploymentTests
{
    private static readonly string StartScript = Path.Combine(
        AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "OdooAspire.AppHost", EdgeBuilderExtensions.ImageFolder, "odooaspire-edge.sh");

    [Fact]
    public async Task Deployed_the_edge_is_the_only_external_endpoint_and_serves_plain_http_behind_the_platforms_tls_ingress()
    {
        var resources = await ManifestAsync();
        var edge = resources[ResourceNames.Edge];

        Assert.Equal("container.v1", edge.GetProperty("type").GetString());
        Assert.EndsWith($"{EdgeBuilderExtensions.ImageFolder}/Dockerfile", edge.GetProperty("build").GetProperty("dockerfile").GetString());
        Assert.False(edge.TryGetProperty("bindMounts", out _));

        // Azure Container Apps gives a container one HTTP ingress, which terminates TLS and passes plain HTTP on.
        var bindings = edge.GetProperty("bindings").EnumerateObject().ToDictionary(b => b.Name, b => b.Value);
        Assert.Equal(["http", "status"], bindings.Keys);
        Assert.Equal(8080, bindings["http"].GetProperty("targetPort").GetInt32());
        Assert.True(bindings["http"].GetProperty("external").GetBoolean());
        Assert.False(bindings["status"].TryGetProperty("external", out _));
        var external = resources.Where(r => r.Value.TryGetProperty("bindings", out var b)
                && b.EnumerateObject().Any(binding => binding.Value.TryGetProperty("external", out var e) && e.GetBoolean()))
            .Select(r => r.Key);
        Assert.Equal([ResourceNames.Edge], external);

        var environment = edge.GetProperty("env");
        Assert.Equal("{gateway.bindings.http.host}:{gateway.bindings.http.port}", environment.GetProperty(EdgeBuilderExtensions.ContainerGatewayVariable).GetString());
        Assert.False(environment.TryGetProperty(EdgeBuilderExtensions.ContainerCertificateKeyVariable, out _));
        var conf = Encoding.UTF8.GetString(Convert.FromBase64String(environment.GetProperty(EdgeBuilderExtensions.ContainerConfVariable).GetString()!));
        Assert.Contains("listen 8080;", conf);
        Assert.DoesNotContain("ssl_certificate", conf);
        Assert.Contains($"server {EdgeBuilderExtensions.ContainerGatewayPlaceholder};", conf);
        Assert.Contains("proxy_cache_path /var/cache/nginx/odoo-static", conf);

        // Every other environment value is a plain value or a reference azd resolves: no brace may be left over.
        foreach (var variable in environment.EnumerateObject().Where(v => v.Name != EdgeBuilderExtensions.ContainerConfVariable))
        {
            var value = variable.Value.GetString()!;
            Assert.Equal(value.Count(c => c == '{'), value.Count(c => c == '}'));
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_start_script_writes_the_conf_with_the_gateway_address_and_leaves_nginx_variables_alone()
    {
        var folder = Directory.CreateTempSubdirectory("odooaspire-edge-image-");
        try
        {
            var conf = "upstream gateway {\n    server ${ODOOASPIRE_GATEWAY};\n}\nreturn 301 https://$host$request_uri;\n";
            var result = await RunStartScriptAsync(folder.FullName, new()
            {
                [EdgeBuilderExtensions.ContainerConfVariable] = Convert.ToBase64String(Encoding.UTF8.GetBytes(conf)),
                [EdgeBuilderExtensions.ContainerGatewayVariable] = "gateway.internal:8080",
                [EdgeBuilderExtensions.ContainerCertificateVariable] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
                [EdgeBuilderExtensions.ContainerCertificateKeyVariable] = "-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----",
            });

            Assert.True(result.ExitCode == 0, result.Output);
            Assert.Equal(conf.Replace("${ODOOASPIRE_GATEWAY}", "gateway.internal:8080"), await File.ReadAllTextAsync(Path.Combine(folder.FullName, "nginx.conf")));
            var key = Path.Combine(folder.FullName, "tls", DevelopmentCertificate.KeyFile);
            Assert.Equal("-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n", await File.ReadAllTextAsync(key));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
            Assert.True(File.Exists(Path.Combine(folder.FullName, "tls", DevelopmentCertificate.CertificateFile)));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(null, "ODOOASPIRE_NGINX_CONF_BASE64 is empty")]
    [InlineData("not base64!", "ODOOASPIRE_NGINX_CONF_BASE64 is not base64")]
    public async Task The_start_script_refuses_a_missing_or_garbled_conf_and_writes_nothing(string? encoded, string message)
    {
        var folder = Directory.CreateTempSubdirectory("odooaspire-edge-image-");
        try
        {
            var environment = new Dictionary<string, string> { [EdgeBuilderExtensions.ContainerGatewayVariable] = "gateway:80" };
            if (encoded is not null)
            {
                environment[EdgeBuilderExtensions.ContainerConfVariable] = encoded;
            }

            var result = await RunStartScriptAsync(folder.FullName, environment);

            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains(message, result.Output);
            Assert.False(File.Exists(Path.Combine(folder.FullName, "nginx.conf")));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_start_script_refuses_a_certificate_without_its_key()
    {
        var folder = Directory.CreateTempSubdirectory("odooaspire-edge-image-");
        try
        {
            var result = await RunStartScriptAsync(folder.FullName, new()
            {
                [EdgeBuilderExtensions.ContainerConfVariable] = Convert.ToBase64String("daemon off;\n"u8.ToArray()),
                [EdgeBuilderExtensions.ContainerGatewayVariable] = "gateway:80",
                [EdgeBuilderExtensions.ContainerCertificateVariable] = "-----BEGIN CERTIFICATE-----",
            });

            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("ODOOASPIRE_TLS_CERTIFICATE and ODOOASPIRE_TLS_KEY go together", result.Output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<Dictionary<string, JsonElement>> ManifestAsync()
    {
        var output = Directory.CreateTempSubdirectory("odooaspire-manifest-");
        try
        {
            var path = Path.Combine(output.FullName, "aspire-manifest.json");
            var result = await AppHostProcess.RunAsync(["--publisher", "manifest", "--output-path", path, "--OdooAspire:Edge=nginx"]);
            Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(path));
            return manifest.RootElement.GetProperty("resources").EnumerateObject().ToDictionary(r => r.Name, r => r.Value.Clone());
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunStartScriptAsync(string folder, Dictionary<string, string> environment)
    {
        Assert.True(File.Exists(StartScript), StartScript);
        var start = new ProcessStartInfo("/bin/sh", [StartScript]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("ODOOASPIRE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }

        start.Environment["ODOOASPIRE_EDGE_DIR"] = folder;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, output);
    }
}
