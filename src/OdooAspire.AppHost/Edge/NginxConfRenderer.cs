using System.Globalization;
using System.Text;

namespace OdooAspire.AppHost.Edge;

/// <summary>Renders the edge's whole nginx.conf from an <see cref="NginxConf"/>: one function, so a test can read every line it writes.</summary>
public static class NginxConfRenderer
{
    /// <summary>stub_status: connections and requests, for the dashboard link.</summary>
    public const string StatusPath = "/nginx_status";

    /// <summary>Healthy when nginx answers and reaches the gateway's /health through the same upstream as every request.</summary>
    public const string HealthPath = "/health";

    /// <summary>Response header telling whether the edge's cache answered (HIT), fetched (MISS), or could not cache (BYPASS, EXPIRED…).</summary>
    public const string CacheStatusHeader = "X-Cache-Status";

    /// <summary>Odoo's static files and generated asset bundles: the only paths the edge caches.</summary>
    public static readonly IReadOnlyList<string> CachedPrefixes = ["/web/static/", AssetBundlePrefix];

    private const string AssetBundlePrefix = "/web/assets/";

    /// <summary>The gateway's status page (OdooAspire.Gateway's StatusPage.Path): for operators, not for the internet.</summary>
    public const string GatewayStatusPath = "/gateway/status";

    private const string CacheZone = "odoo_static";

    public static string Render(NginxConf conf)
    {
        var text = new StringBuilder();
        void Line(string line = "") => text.Append(line).Append('\n');
        var listen = conf.ListenAddress is { } address ? $"{address}:" : "";
        var temp = conf.TempDirectory.TrimEnd('/');

        // proxy_set_header is inherited only by locations that set none themselves, so every location sets them all.
        // The edge is the first hop: whatever X-Forwarded-* a client sent is replaced, never appended to.
        void ForwardedHeaders(string connection)
        {
            Line($"            proxy_set_header Connection {connection};");
            Line("            proxy_set_header Host $forwarded_host;");
            Line("            proxy_set_header X-Forwarded-For $remote_addr;");
            Line($"            proxy_set_header X-Forwarded-Proto {(conf.Tls is null ? "$forwarded_proto" : "$scheme")};");
            Line("            proxy_set_header X-Forwarded-Host $forwarded_host;");
            Line("            proxy_set_header X-Real-IP \"\";");
            Line("            proxy_set_header Forwarded \"\";");
        }

        Line("# Rendered by OdooAspire.AppHost (Edge/NginxConfRenderer.cs) at every start; edits here are overwritten.");
        Line("daemon off;");
        if (conf.WorkerUser is { } user)
        {
            Line($"user {user};");
        }

        Line("worker_processes auto;");
        Line($"pid {conf.PidPath};");
        Line($"error_log {conf.LogPath} notice;");
        Line();
        Line("events {");
        Line("    worker_connections 4096;");
        Line("}");
        Line();
        Line("http {");
        Line("    default_type application/octet-stream;");
        Line("    server_tokens off;");
        Line("    sendfile on;");
        Line("    tcp_nopush on;");
        Line("    keepalive_timeout 65s;");
        Line($"    client_max_body_size {conf.MaxBodySize};");
        Line("    log_format edge '$remote_addr \"$request\" $status $body_bytes_sent '");
        Line("                    'rt=$request_time urt=$upstream_response_time cache=$upstream_cache_status';");
        // Buffered: every line goes through Aspire's log pipe, which must not set the pace of requests.
        Line($"    access_log {conf.LogPath} edge buffer=64k flush=1s;");
        Line();
        Line($"    client_body_temp_path {temp}/client_body;");
        Line($"    proxy_temp_path {temp}/proxy;");
        Line($"    fastcgi_temp_path {temp}/fastcgi;");
        Line($"    uwsgi_temp_path {temp}/uwsgi;");
        Line($"    scgi_temp_path {temp}/scgi;");
        Line();
        Line("    gzip on;");
        Line("    gzip_vary on;");
        Line("    gzip_proxied any;");
        Line("    gzip_min_length 1024;");
        Line("    gzip_types text/css text/plain text/xml application/javascript application/json application/xml image/svg+xml font/ttf;");
        Line();
        // Only an expiry the upstream gives (Cache-Control, Expires) makes a response cacheable: no proxy_cache_valid.
        Line($"    proxy_cache_path {conf.CacheDirectory} levels=1:2 keys_zone={CacheZone}:10m max_size={conf.CacheMaxSize} inactive=7d use_temp_path=off;");
        Line();
        Line("    map $http_upgrade $connection_upgrade {");
        Line("        default upgrade;");
        Line("        ''      close;");
        Line("    }");
        Line();
        // HTTP/1.0 clients may send no Host: fall back to the address they reached.
        Line("    map $http_host $forwarded_host {");
        Line("        ''      $host:$server_port;");
        Line("        default $http_host;");
        Line("    }");
        Line();
        if (conf.Tls is null)
        {
            // Behind a TLS-terminating ingress, the only thing that can reach this port: its X-Forwarded-For's last
            // address is the client it saw (realip makes that $remote_addr), and its X-Forwarded-Proto the scheme.
            Line("    set_real_ip_from 0.0.0.0/0;");
            Line("    set_real_ip_from ::/0;");
            Line("    real_ip_header X-Forwarded-For;");
            Line();
            Line("    map $http_x_forwarded_proto $forwarded_proto {");
            Line("        default https;");
            Line("        http    http;");
            Line("    }");
            Line();
        }

        if (conf.UpstreamBindAddress is { } bind)
        {
            // For every connection to the gateway, the health check's too: they share the keepalive pool, so a request
            // can go out on a connection a probe opened, which must come from the trusted address as well.
            Line($"    proxy_bind {bind};");
            Line();
        }

        Line("    upstream gateway {");
        Line($"        server {conf.GatewayAddress};");
        Line("        keepalive 64;");
        Line("    }");
        Line();
        if (conf.HttpPort is { } httpPort)
        {
            Line("    # Plain HTTP only redirects: nothing reaches Odoo unencrypted.");
            Line("    server {");
            Line($"        listen {listen}{Port(httpPort)};");
            Line($"        return 301 https://$host{(conf.PublicHttpsPort is { } publicPort ? ":" + Port(publicPort) : "")}$request_uri;");
            Line("    }");
            Line();
        }

        Line("    server {");
        if (conf.Tls is { } tls)
        {
            Line($"        listen {listen}{Port(conf.HttpsPort)} ssl{(conf.Http2Directive ? "" : " http2")};");
            if (conf.Http2Directive)
            {
                Line("        http2 on;");
            }

            Line($"        ssl_certificate {tls.CertificatePath};");
            Line($"        ssl_certificate_key {tls.CertificateKeyPath};");
            Line("        ssl_protocols TLSv1.2 TLSv1.3;");
            Line("        ssl_session_cache shared:edge_tls:10m;");
            Line("        ssl_session_timeout 1h;");
        }
        else
        {
            Line("        # TLS, HTTP/2 and the HTTP redirect are the ingress's; browsers still only ever see HTTPS.");
            Line($"        listen {listen}{Port(conf.HttpsPort)};");
        }

        Line("        add_header Strict-Transport-Security \"max-age=31536000\" always;");
        Line();
        Line("        proxy_http_version 1.1;");
        Line($"        proxy_read_timeout {Seconds(conf.ReadTimeout)};");
        Line("        proxy_redirect off;");
        Line();
        Line("        location / {");
        ForwardedHeaders("\"\"");
        Line("            proxy_pass http://gateway;");
        Line("        }");
        Line();
        // Operators read it on the gateway itself (linked from the dashboard); the edge does not publish it.
        Line($"        location = {GatewayStatusPath} {{");
        Line("            return 404;");
        Line("        }");
        Line();
        Line("        location /websocket {");
        ForwardedHeaders("$connection_upgrade");
        Line("            proxy_set_header Upgrade $http_upgrade;");
        Line($"            proxy_read_timeout {Seconds(conf.WebSocketReadTimeout)};");
        Line($"            proxy_send_timeout {Seconds(conf.WebSocketReadTimeout)};");
        Line("            proxy_buffering off;");
        Line("            proxy_pass http://gateway;");
        Line("        }");
        foreach (var prefix in CachedPrefixes)
        {
            Line();
            Line($"        location {prefix} {{");
            ForwardedHeaders("\"\"");
            Line($"            proxy_cache {CacheZone};");
            Line("            proxy_cache_key $scheme$host$request_uri;");
            // One request fills a missing entry while the others wait; a dead gateway still gets the last good copy.
            Line("            proxy_cache_lock on;");
            Line("            proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;");
            Line("            proxy_cache_background_update on;");
            if (prefix == AssetBundlePrefix)
            {
                // Odoo opens a session for a cookie-less bundle request (a crawler, a CDN); cache the bundle anyway and
                // give nobody that cookie, so one visitor's session is never handed to another.
                Line("            proxy_ignore_headers Set-Cookie;");
                Line("            proxy_hide_header Set-Cookie;");
            }

            Line($"            add_header {CacheStatusHeader} $upstream_cache_status always;");
            Line("            add_header Strict-Transport-Security \"max-age=31536000\" always;");
            Line("            proxy_pass http://gateway;");
            Line("        }");
        }

        Line("    }");
        Line();
        Line("    server {");
        Line($"        listen {listen}{Port(conf.StatusPort)};");
        Line("        access_log off;");
        Line($"        location = {StatusPath} {{");
        Line("            stub_status;");
        Line("        }");
        Line($"        location = {HealthPath} {{");
        Line("            proxy_http_version 1.1;");
        Line("            proxy_set_header Connection \"\";");
        Line("            proxy_connect_timeout 2s;");
        Line("            proxy_read_timeout 5s;");
        Line("            proxy_pass http://gateway/health;");
        Line("        }");
        Line("        location / {");
        Line("            return 404;");
        Line("        }");
        Line("    }");
        Line("}");
        return text.ToString();
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan duration) => $"{((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture)}s";
}
