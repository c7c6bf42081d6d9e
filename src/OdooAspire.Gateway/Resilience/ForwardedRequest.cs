using Yarp.ReverseProxy.Model;

namespace OdooAspire.Gateway.Resilience;

/// <summary>
/// What the gateway decided about one incoming request before forwarding it (an HttpContext feature):
/// its buffered body, whether it may be replayed after reaching a node, and which node finally served it.
/// </summary>
public sealed class ForwardedRequest(ReadOnlyMemory<byte>? body, bool isSafe, string? jsonRpcService)
{
    /// <summary>The whole request body when it was small enough to buffer (empty for a bodiless request); null when streamed.</summary>
    public ReadOnlyMemory<byte>? Body { get; } = body;

    /// <summary>Safe to replay even after a node received it: GET/HEAD, or a read-only Odoo route or call_kw method.</summary>
    public bool IsSafe { get; } = isSafe;

    /// <summary>The <c>params.service</c> of a /jsonrpc call ("db", "common", "object"), when there is one.</summary>
    public string? JsonRpcService { get; } = jsonRpcService;

    /// <summary>The node whose answer the client got.</summary>
    public DestinationState? ServedBy { get; set; }
}
