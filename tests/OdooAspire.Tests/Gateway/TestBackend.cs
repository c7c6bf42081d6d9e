using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OdooAspire.Tests.Gateway;

/// <summary>
/// A tiny in-process HTTP node on 127.0.0.1 for the gateway's unit tests: answers /web/health and echoes every other
/// request (its name, path, body and forwarded headers), and can be made unhealthy, frozen, slow or stopped.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Method, string Path, string Body)> _received = new();
    private volatile TaskCompletionSource _thawed = CompletedSource();
    private readonly CancellationTokenSource _stopping = new();
    private volatile bool _healthy = true;

    private TestBackend(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public Uri Address { get; private set; } = null!;

    /// <summary>Replaces the echo for application requests; /web/health is not affected.</summary>
    public Func<HttpContext, string, Task>? Behavior { get; set; }

    /// <summary>Application requests received (health probes excluded), in order.</summary>
    public IReadOnlyList<(string Method, string Path, string Body)> Received => [.. _received];

    public int Count(string path) => _received.Count(r => r.Path == path);

    /// <summary>The Host header of the last health probe ("" when it had none).</summary>
    public string? LastProbeHost { get; private set; }

    public static async Task<TestBackend> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var backend = new TestBackend(name, app);
        app.UseWebSockets();
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        backend.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return backend;
    }

    /// <summary>Health probes get 503 while false.</summary>
    public bool Healthy
    {
        get => _healthy;
        set => _healthy = value;
    }

    /// <summary>Like SIGSTOP: connections are still accepted, but nothing (health included) is answered until <see cref="Thaw"/>.</summary>
    public void Freeze() => _thawed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Thaw() => _thawed.TrySetResult();

    /// <summary>Stops listening: new connections are refused from now on.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Thaw();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        await _thawed.Task.WaitAsync(context.RequestAborted);
        if (context.Request.Path == "/web/health" || context.Request.Path == "/websocket/health")
        {
            LastProbeHost = context.Request.Headers.Host.ToString();
            context.Response.StatusCode = _healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync("""{"status": "pass"}""");
            return;
        }

        if (context.WebSockets.IsWebSocketRequest)
        {
            await EchoWebSocketAsync(context);
            return;
        }

        var body = await new StreamReader(context.Request.Body).ReadToEndAsync(context.RequestAborted);
        _received.Enqueue((context.Request.Method, context.Request.Path.Value ?? "", body));
        if (Behavior is { } behavior)
        {
            await behavior(context, body);
            return;
        }

        await context.Response.WriteAsJsonAsync(new Echo(
            Name,
            context.Request.Path.Value ?? "",
            body,
            context.Request.Headers["X-Forwarded-For"].ToString(),
            context.Request.Headers["X-Forwarded-Proto"].ToString(),
            context.Request.Headers["X-Forwarded-Host"].ToString(),
            context.Request.Headers["Forwarded"].ToString(),
            context.Request.Headers.Host.ToString()));
    }

    /// <summary>Answers every text message with "&lt;node&gt;: &lt;message&gt;" until the client closes or the backend stops.</summary>
    private async Task EchoWebSocketAsync(HttpContext context)
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var message = await socket.ReceiveAsync(buffer, _stopping.Token);
                if (message.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }

                var reply = Encoding.UTF8.GetBytes($"{Name}: {Encoding.UTF8.GetString(buffer, 0, message.Count)}");
                await socket.SendAsync(reply, WebSocketMessageType.Text, endOfMessage: true, _stopping.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // The node is going away: the connection drops like a dying Odoo's would.
            context.Abort();
        }
    }

    private static TaskCompletionSource CompletedSource()
    {
        var source = new TaskCompletionSource();
        source.SetResult();
        return source;
    }

    /// <summary>What a backend saw of a request.</summary>
    public sealed record Echo(string Node, string Path, string Body, string ForwardedFor, string ForwardedProto, string ForwardedHost, string Forwarded, string Host)
    {
        public static async Task<Echo> ReadAsync(HttpResponseMessage response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonSerializer.Deserialize<Echo>(await response.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
        }
    }
}
