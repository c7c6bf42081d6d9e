using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace OdooAspire.Gateway.Resilience;

/// <summary>
/// Decides whether a request may be replayed after it reached a node: GET, HEAD and OPTIONS, a configured read-only
/// route, or a JSON-RPC <c>call_kw</c> of a configured read-only method. Everything else counts as a write.
/// </summary>
public sealed class RequestClassifier(IOptions<GatewayOptions> options)
{
    private const string CallKwRoute = "/web/dataset/call_kw";
    private const string JsonRpcRoute = "/jsonrpc";

    private readonly HashSet<string> _readOnlyMethods = new(options.Value.Retry.ReadOnlyMethods, StringComparer.Ordinal);
    private readonly HashSet<string> _readOnlyRoutes = new(options.Value.Retry.ReadOnlyRoutes, StringComparer.OrdinalIgnoreCase);

    public ForwardedRequest Classify(string method, PathString path, ReadOnlyMemory<byte>? body)
    {
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method))
        {
            return new ForwardedRequest(body, isSafe: true, jsonRpcService: null);
        }

        var route = path.Value ?? "";
        if (_readOnlyRoutes.Contains(route.TrimEnd('/')))
        {
            return new ForwardedRequest(body, isSafe: true, jsonRpcService: null);
        }

        var isCallKw = path.StartsWithSegments(CallKwRoute, StringComparison.OrdinalIgnoreCase);
        var isJsonRpc = path.StartsWithSegments(JsonRpcRoute, StringComparison.OrdinalIgnoreCase);
        if (body is not { Length: > 0 } json || !(isCallKw || isJsonRpc))
        {
            return new ForwardedRequest(body, isSafe: false, jsonRpcService: null);
        }

        var (service, modelMethod) = ReadParams(json.Span);
        var isSafe = modelMethod is not null && _readOnlyMethods.Contains(modelMethod);
        return new ForwardedRequest(body, isSafe, service);
    }

    /// <summary>Reads params.service and the called model method from a JSON-RPC body; malformed JSON is simply a write.</summary>
    private static (string? Service, string? ModelMethod) ReadParams(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            if (!document.RootElement.TryGetProperty("params", out var parameters) || parameters.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            var service = parameters.TryGetProperty("service", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            if (parameters.TryGetProperty("model", out _) && parameters.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String)
            {
                return (service, m.GetString());
            }

            // /jsonrpc's object.execute_kw carries the model method as its 5th argument.
            if (service == "object" && parameters.TryGetProperty("method", out var call) && call.GetString() == "execute_kw"
                && parameters.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Array && args.GetArrayLength() >= 5
                && args[4].ValueKind == JsonValueKind.String)
            {
                return (service, args[4].GetString());
            }

            return (service, null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
