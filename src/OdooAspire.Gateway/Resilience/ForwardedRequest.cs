using Yarp.ReverseProxy.Model;

namespace OdooAspire.Gateway.Resilience;

/// <summary>
/// What the gateway decided about one incoming request before forwarding it (an HttpContext feature):
/// its buffered body, whether it may be replayed after reaching a node, and which node finally served it.
/// </summary>
public sealed class ForwardedRequest(ReadOnlyMemory<byte>? body, bool isSafe, JsonRpcBody jsonRpc)
{
    /// <summary>The whole request body when it was buffered (empty for a bodiless request); null when it streams.</summary>
    public ReadOnlyMemory<byte>? Body { get; } = body;

    /// <summary>Safe to replay even after a node received it: positively classified as a read, never by default.</summary>
    public bool IsSafe { get; } = isSafe;

    /// <summary>What the gateway read of a JSON-RPC body (/jsonrpc, /web/dataset/call_kw).</summary>
    public JsonRpcBody JsonRpc { get; } = jsonRpc;

    /// <summary>Why a body was not buffered: it streams, so the gateway cannot read it.</summary>
    public BodyNotBuffered NotBuffered { get; init; }

    /// <summary>The node whose answer the client got.</summary>
    public DestinationState? ServedBy { get; set; }

    /// <summary>The error the client's own body stream raised while a node was being sent it, if any.</summary>
    public Exception? ClientBodyError { get; set; }
}

/// <summary>Why a request body streams instead of being buffered.</summary>
public enum BodyNotBuffered
{
    /// <summary>It was buffered (or there is none).</summary>
    No,

    /// <summary>Larger than <c>Retry:MaxBufferedBodyBytes</c>.</summary>
    TooLarge,

    /// <summary>The gateway's buffering budget (<c>Limits:MaxBufferedBytesTotal</c>) was in use by other requests.</summary>
    OverBudget,
}

/// <summary>
/// A JSON-RPC body as far as the gateway read it: <see cref="Readable"/> when it is one JSON document the gateway parsed
/// to its end, with <c>params.service</c> and the model method called.
/// </summary>
public readonly record struct JsonRpcBody(bool Readable, string? Service, string? ModelMethod)
{
    public static readonly JsonRpcBody None = new(Readable: true, Service: null, ModelMethod: null);

    public static readonly JsonRpcBody Unreadable = new(Readable: false, Service: null, ModelMethod: null);
}
