using System.Diagnostics;
using System.Text.RegularExpressions;
using OdooAspire.AppHost.Edge;
using OdooAspire.AppHost.Runtime;

namespace OdooAspire.Tests.Edge;

/// <summary>The edge's nginx.conf as rendered from the model: what each server and location does with a request.</summary>
public sealed class NginxConfRendererTests
{
    private static readonly NginxConf Conf = new()
    {
        ListenAddress = "127.0.0.1",
        HttpsPort = 18443,
        HttpPort = 18080,
        StatusPort = 18081,
        PublicHttpsPort = 18443,
        GatewayAddress = "127.0.0.1:15180",
        UpstreamBindAddress = "127.0.0.2",
        Tls = new NginxTls("/run/edge/tls/edge.crt", "/run/edge/tls/edge.key"),
        PidPath = "/run/edge/nginx.pid",
        TempDirectory = "/run/edge/temp",
        CacheDirectory = "/run/edge/cache",
    };

    [Fact]
    public void Plain_http_only_redirects_permanently_to_the_https_port_users_reach()
    {
        var server = Block(NginxConfRenderer.Render(Conf), "server", "listen 127.0.0.1:18080;");

        Assert.Contains("return 301 https://$host:18443$request_uri;", server);
        Assert.DoesNotContain("proxy_pass", server);
    }

    [Fact]
    public void The_redirect_names_no_port_when_users_reach_https_on_443()
    {
        var server = Block(NginxConfRenderer.Render(Conf with { PublicHttpsPort = null }), "server", "listen 127.0.0.1:18080;");

        Assert.Contains("return 301 https://$host$request_uri;", server);
    }

    [Fact]
    public void Every_server_listens_on_loopback_only_and_https_speaks_http2_with_the_given_certificate()
    {
        var text = NginxConfRenderer.Render(Conf);

        var listens = Regex.Matches(text, @"^\s*listen (\S+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["127.0.0.1:18080;", "127.0.0.1:18443", "127.0.0.1:18081;"], listens);
        var https = Block(text, "server", "listen 127.0.0.1:18443");
        Assert.Contains("listen 127.0.0.1:18443 ssl http2;", https);
        Assert.Contains("ssl_certificate /run/edge/tls/edge.crt;", https);
        Assert.Contains("ssl_certificate_key /run/edge/tls/edge.key;", https);
    }

    [Fact]
    public void Nginx_from_1_25_1_gets_the_http2_directive_instead_of_the_listen_flag()
    {
        var https = Block(NginxConfRenderer.Render(Conf with { Http2Directive = true }), "server", "listen 127.0.0.1:18443");

        Assert.Contains("listen 127.0.0.1:18443 ssl;", https);
        Assert.Contains("http2 on;", https);
    }

    [Fact]
    public void Every_location_that_reaches_the_gateway_replaces_the_clients_forwarded_headers_with_what_the_edge_saw()
    {
        var https = Block(NginxConfRenderer.Render(Conf), "server", "listen 127.0.0.1:18443");
        var locations = Locations(https);
        locations.Remove("= " + NginxConfRenderer.GatewayStatusPath);

        Assert.Equal(["/", "/websocket", "/web/static/", "/web/assets/"], locations.Keys);
        foreach (var (path, location) in locations)
        {
            Assert.Contains("proxy_pass http://gateway;", location);
            // A location that sets any header inherits none from its server: each must set all of them.
            foreach (var header in new[]
            {
                "proxy_set_header X-Forwarded-For $remote_addr;",
                "proxy_set_header X-Forwarded-Proto $scheme;",
                "proxy_set_header X-Forwarded-Host $forwarded_host;",
                "proxy_set_header Host $forwarded_host;",
                "proxy_set_header Forwarded \"\";",
            })
            {
                Assert.True(location.Contains(header, StringComparison.Ordinal), $"location {path} lacks '{header}'");
            }
        }

        Assert.DoesNotContain("$proxy_add_x_forwarded_for", https);
        // At the http level: the status server's health check shares the gateway keepalive pool with user requests.
        Assert.Contains("\n    proxy_bind 127.0.0.2;", NginxConfRenderer.Render(Conf));
    }

    [Fact]
    public void The_gateways_status_page_is_not_published_to_the_internet_through_the_edge()
    {
        Assert.Equal(OdooAspire.Gateway.Status.StatusPage.Path, NginxConfRenderer.GatewayStatusPath);
        foreach (var conf in new[] { Conf, Conf with { Tls = null, HttpPort = null, HttpsPort = 18080 } })
        {
            var site = Block(NginxConfRenderer.Render(conf), "server", $"listen 127.0.0.1:{conf.HttpsPort}");
            var status = Locations(site)["= /gateway/status"];
            Assert.Contains("return 404;", status);
            Assert.DoesNotContain("proxy_pass", status);
        }
    }

    [Fact]
    public void Only_odoo_static_files_and_asset_bundles_are_cached_and_only_for_as_long_as_odoo_says()
    {
        var text = NginxConfRenderer.Render(Conf);
        var locations = Locations(Block(text, "server", "listen 127.0.0.1:18443"));

        foreach (var cached in new[] { "/web/static/", "/web/assets/" })
        {
            Assert.Contains("proxy_cache odoo_static;", locations[cached]);
            Assert.Contains("add_header X-Cache-Status $upstream_cache_status always;", locations[cached]);
        }

        Assert.DoesNotContain("proxy_cache ", locations["/"]);
        Assert.DoesNotContain("proxy_cache ", locations["/websocket"]);
        // No default lifetime: Cache-Control and Expires from Odoo decide. Static files are never cached with a cookie; a
        // bundle is cached without the session cookie Odoo opens for a cookie-less client, and nobody gets that cookie.
        Assert.DoesNotContain("proxy_cache_valid", text);
        Assert.DoesNotContain("proxy_ignore_headers", locations["/web/static/"]);
        Assert.Contains("proxy_ignore_headers Set-Cookie;", locations["/web/assets/"]);
        Assert.Contains("proxy_hide_header Set-Cookie;", locations["/web/assets/"]);
        Assert.Contains("proxy_cache_path /run/edge/cache ", text);
    }

    [Fact]
    public void The_websocket_is_upgraded_and_may_stay_quiet_for_an_hour()
    {
        var websocket = Locations(Block(NginxConfRenderer.Render(Conf), "server", "listen 127.0.0.1:18443"))["/websocket"];

        Assert.Contains("proxy_set_header Upgrade $http_upgrade;", websocket);
        Assert.Contains("proxy_set_header Connection $connection_upgrade;", websocket);
        Assert.Contains("proxy_read_timeout 3600s;", websocket);
    }

    [Fact]
    public void Responses_are_compressed_and_every_temporary_path_is_in_the_run_folder()
    {
        var text = NginxConfRenderer.Render(Conf);

        Assert.Contains("gzip on;", text);
        Assert.Contains("application/javascript", Regex.Match(text, "gzip_types [^;]*;").Value);
        Assert.Contains("daemon off;", text);
        Assert.Contains("pid /run/edge/nginx.pid;", text);
        foreach (var directive in new[] { "client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path", "scgi_temp_path" })
        {
            Assert.Matches($@"{directive} /run/edge/temp/\w+;", text);
        }

        Assert.Contains("error_log /dev/stdout", text);
        Assert.Contains("access_log /dev/stdout", text);
    }

    [Fact]
    public void The_status_server_serves_stub_status_and_a_health_check_through_the_gateway()
    {
        var status = Block(NginxConfRenderer.Render(Conf), "server", "listen 127.0.0.1:18081;");
        var locations = Locations(status);

        Assert.Contains("stub_status;", locations["= /nginx_status"]);
        Assert.Contains("proxy_pass http://gateway/health;", locations["= /health"]);
    }

    [Fact]
    public async Task Debian_nginx_accepts_the_rendered_conf_with_a_generated_development_certificate()
    {
        var folder = Directory.CreateTempSubdirectory("odooaspire-edge-conf-");
        try
        {
            var (certificate, key) = await DevelopmentCertificate.EnsureAsync(Executables.Find("openssl")!, Path.Combine(folder.FullName, "tls"), CancellationToken.None);
            var output = await NginxTestAsync(folder.FullName, Conf with { Tls = new NginxTls(certificate, key) });

            Assert.Contains("test is successful", output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Behind_a_tls_terminating_ingress_the_site_is_plain_http_and_the_client_and_scheme_come_from_the_ingress()
    {
        var text = NginxConfRenderer.Render(Conf with { Tls = null, HttpPort = null, HttpsPort = 18080, UpstreamBindAddress = null });
        var site = Block(text, "server", "listen 127.0.0.1:18080;");

        Assert.DoesNotContain("ssl", site);
        Assert.DoesNotContain("return 301", text);
        // The ingress appends the client it saw to X-Forwarded-For; realip makes that last address $remote_addr.
        Assert.Contains("real_ip_header X-Forwarded-For;", text);
        Assert.DoesNotContain("real_ip_recursive on", text);
        Assert.Contains("map $http_x_forwarded_proto $forwarded_proto {", text);
        foreach (var (path, location) in Locations(site).Where(l => l.Key != "= " + NginxConfRenderer.GatewayStatusPath))
        {
            Assert.True(location.Contains("proxy_set_header X-Forwarded-Proto $forwarded_proto;", StringComparison.Ordinal), path);
        }

        Assert.Contains("add_header Strict-Transport-Security", site);
    }

    [Fact]
    public async Task Debian_nginx_accepts_the_conf_rendered_for_a_tls_terminating_ingress()
    {
        var folder = Directory.CreateTempSubdirectory("odooaspire-edge-conf-");
        try
        {
            var output = await NginxTestAsync(folder.FullName, Conf with { Tls = null, HttpPort = null, HttpsPort = 18080 });

            Assert.Contains("test is successful", output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>What <c>nginx -t</c> says of <paramref name="conf"/> with its files in <paramref name="folder"/>; fails the test when nginx refuses it.</summary>
    private static async Task<string> NginxTestAsync(string folder, NginxConf conf)
    {
        var nginx = Executables.Find("nginx");
        Assert.True(nginx is not null, "nginx not found on PATH: apt-get install nginx");
        Directory.CreateDirectory(Path.Combine(folder, "temp"));
        var path = Path.Combine(folder, "nginx.conf");
        await File.WriteAllTextAsync(path, NginxConfRenderer.Render(conf with
        {
            PidPath = Path.Combine(folder, "nginx.pid"),
            TempDirectory = Path.Combine(folder, "temp"),
            CacheDirectory = Path.Combine(folder, "cache"),
            // nginx drops its workers' privileges only when started as root.
            WorkerUser = Environment.IsPrivilegedProcess ? "www-data" : null,
        }));
        var start = new ProcessStartInfo(nginx!, ["-t", "-p", folder + "/", "-c", path, "-e", "/dev/stdout"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, output);
        return output;
    }

    /// <summary>The block <c>keyword { … }</c> whose body contains <paramref name="marker"/>, braces balanced.</summary>
    private static string Block(string text, string keyword, string marker)
    {
        foreach (Match match in Regex.Matches(text, $@"^\s*{keyword}\b[^{{\n]*\{{", RegexOptions.Multiline))
        {
            var body = Body(text, match.Index + match.Length);
            if (body.Contains(marker, StringComparison.Ordinal))
            {
                return body;
            }
        }

        throw new Xunit.Sdk.XunitException($"no {keyword} block containing '{marker}' in:\n{text}");
    }

    private static Dictionary<string, string> Locations(string server) =>
        Regex.Matches(server, @"^\s*location ([^{]+?)\s*\{", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => Body(server, m.Index + m.Length));

    private static string Body(string text, int start)
    {
        var depth = 1;
        for (var i = start; i < text.Length; i++)
        {
            depth += text[i] switch { '{' => 1, '}' => -1, _ => 0 };
            if (depth == 0)
            {
                return text[start..i];
            }
        }

        throw new Xunit.Sdk.XunitException("unbalanced braces");
    }
}
