using OdooAspire.AppHost.Edge;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Edge;

/// <summary>The application model with and without the edge, built but not started.</summary>
public sealed class EdgeModelTests
{
    [Fact]
    public async Task Without_the_edge_the_gateway_stays_the_external_endpoint()
    {
        await using var builder = await TestStack.CreateBuilderAsync("--OdooAspire:Runtime=Processes");

        Assert.DoesNotContain(builder.Resources, r => r.Name == ResourceNames.Edge);
        Assert.All(Endpoints(builder, ResourceNames.Gateway), endpoint => Assert.True(endpoint.IsExternal, endpoint.Name));
    }

    [Fact]
    public async Task In_processes_the_edge_is_debian_nginx_on_loopback_and_replaces_the_gateway_as_external_endpoint()
    {
        await using var builder = await TestStack.CreateBuilderAsync("--OdooAspire:Runtime=Processes", "--OdooAspire:Edge=nginx");

        var edge = Assert.IsType<NginxEdgeResource>(builder.Resources.Single(r => r.Name == ResourceNames.Edge));
        Assert.Equal("/usr/sbin/nginx", edge.Command);
        var endpoints = Endpoints(builder, ResourceNames.Edge).ToDictionary(e => e.Name);
        Assert.Equal(["https", "http", "status"], endpoints.Keys);
        Assert.All(endpoints.Values, endpoint => Assert.False(endpoint.IsProxied, $"{endpoint.Name}: nginx listens itself, on a port Aspire chose"));
        Assert.Equal("https", endpoints["https"].UriScheme);
        Assert.All(Endpoints(builder, ResourceNames.Gateway), endpoint => Assert.False(endpoint.IsExternal, endpoint.Name));
        Assert.Empty(builder.Resources.OfType<ContainerResource>());

        ModelValues.AllocateEndpoints(builder);
        var gateway = await ModelValues.EnvironmentAsync(builder.Resources.Single(r => r.Name == ResourceNames.Gateway));
        Assert.Equal(EdgeBuilderExtensions.ProcessUpstreamAddress, gateway[EdgeBuilderExtensions.GatewayTrustedEdgesVariable]);
        var arguments = await ModelValues.ArgumentsAsync(edge);
        Assert.Equal(["-p", edge.Folder + "/", "-c", edge.ConfPath, "-e", "/dev/stdout"], arguments);
        Assert.StartsWith(Path.GetTempPath(), edge.ConfPath);
    }

    [Fact]
    public async Task In_containers_the_edge_is_built_on_the_official_nginx_image_and_gets_its_conf_and_certificate_in_the_environment()
    {
        await using var builder = await TestStack.CreateBuilderAsync("--OdooAspire:Runtime=Containers", "--OdooAspire:Edge=nginx");

        var edge = Assert.IsAssignableFrom<ContainerResource>(builder.Resources.Single(r => r.Name == ResourceNames.Edge));
        var build = edge.Annotations.OfType<DockerfileBuildAnnotation>().Single();
        Assert.EndsWith(EdgeBuilderExtensions.ImageFolder, build.ContextPath);
        Assert.Equal($"{EdgeBuilderExtensions.ContainerImage}:{EdgeBuilderExtensions.ContainerImageTag}", build.BuildArguments["NGINX_IMAGE"]);
        // Nothing is mounted or copied in: what runs locally is what deploys.
        Assert.Empty(edge.Annotations.OfType<ContainerFileSystemCallbackAnnotation>());
        Assert.Empty(edge.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Equal(["https", "http"], Endpoints(builder, ResourceNames.Edge).Where(e => e.IsExternal).Select(e => e.Name));
        Assert.DoesNotContain(builder.Resources, r => r is NginxEdgeResource);

        ModelValues.AllocateEndpoints(builder);
        ModelValues.AllocateProjectEndpointsForContainers(builder, "host.docker.internal", firstPort: 42000);
        var environment = await ModelValues.EnvironmentAsync(edge);
        var conf = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(environment[EdgeBuilderExtensions.ContainerConfVariable]));
        Assert.Contains("listen 8443 ssl;", conf);
        Assert.Contains($"server {EdgeBuilderExtensions.ContainerGatewayPlaceholder};", conf);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", environment[EdgeBuilderExtensions.ContainerCertificateVariable]);
        Assert.Contains("PRIVATE KEY-----", environment[EdgeBuilderExtensions.ContainerCertificateKeyVariable]);
        Assert.Matches(@"^host\.docker\.internal:\d+$", environment[EdgeBuilderExtensions.ContainerGatewayVariable]);

        var gateway = await ModelValues.EnvironmentAsync(builder.Resources.Single(r => r.Name == ResourceNames.Gateway));
        Assert.Equal(EdgeSettings.DefaultTrustedNetwork, gateway[EdgeBuilderExtensions.GatewayTrustedEdgesVariable]);
    }

    [Fact]
    public async Task The_edge_reports_health_and_links_its_nginx_status_page_in_the_dashboard()
    {
        await using var builder = await TestStack.CreateBuilderAsync("--OdooAspire:Runtime=Processes", "--OdooAspire:Edge=nginx");
        var edge = builder.Resources.Single(r => r.Name == ResourceNames.Edge);

        Assert.NotEmpty(edge.Annotations.OfType<HealthCheckAnnotation>());
        Assert.Contains(edge.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource.Name == ResourceNames.Gateway);

        ModelValues.AllocateEndpoints(builder);
        var context = new ResourceUrlsCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), edge);
        foreach (var endpoint in edge.Annotations.OfType<EndpointAnnotation>())
        {
            context.Urls.Add(new ResourceUrlAnnotation { Url = $"{endpoint.UriScheme}://localhost:{endpoint.AllocatedEndpoint!.Port}", Endpoint = new EndpointReference((IResourceWithEndpoints)edge, endpoint) });
        }

        foreach (var callback in edge.Annotations.OfType<ResourceUrlsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        var status = Assert.Single(context.Urls, url => url.Endpoint?.EndpointName == NginxEdgeResource.StatusEndpointName);
        Assert.EndsWith(NginxConfRenderer.StatusPath, status.Url);
        Assert.Equal("nginx status", status.DisplayText);
    }

    [Theory]
    [InlineData("--OdooAspire:Edge=haproxy", "is not an edge: use none or nginx")]
    [InlineData("--OdooAspire:EdgeCertificate=/nonexistent/edge.crt", "go together")]
    [InlineData("--OdooAspire:EdgeTrustedNetwork=everyone", "is not a CIDR network")]
    public async Task A_wrong_edge_setting_is_refused_in_one_line_naming_the_key(string setting, string reason)
    {
        var result = await AppHostProcess.RunAsync(["--OdooAspire:Runtime=Processes", "--OdooAspire:Edge=nginx", setting], timeout: TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(setting[2..setting.IndexOf('=')], line);
        Assert.Contains(reason, line);
    }

    [Fact]
    public async Task Without_nginx_on_the_path_the_AppHost_fails_fast_with_one_line_naming_the_Debian_package()
    {
        // Everything the spine needs stays reachable (redis-server in /usr/bin, PostgreSQL in /usr/lib/postgresql); /usr/sbin goes.
        var dotnet = Path.GetDirectoryName(Environment.ProcessPath)!;
        var result = await AppHostProcess.RunAsync(
            ["--OdooAspire:Runtime=Processes", "--OdooAspire:Edge=nginx"],
            new Dictionary<string, string> { ["PATH"] = $"{dotnet}:/usr/local/bin:/usr/bin:/bin" },
            TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("OdooAspire: nginx not found on PATH: apt-get install nginx", line);
        Assert.DoesNotContain("   at ", result.StandardOutput + result.StandardError);
    }

    private static IEnumerable<EndpointAnnotation> Endpoints(IDistributedApplicationTestingBuilder builder, string resource) =>
        builder.Resources.Single(r => r.Name == resource).Annotations.OfType<EndpointAnnotation>();
}
