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

    /// <summary>
    /// Reads params.service and the called model method from a JSON-RPC body; malformed JSON is simply a write.
    /// One forward pass of a reader over the body (which still validates all of it) instead of building a document.
    /// </summary>
    private static (string? Service, string? ModelMethod) ReadParams(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (null, null);
            }

            var found = default(CallParams?);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isParams = reader.ValueTextEquals("params"u8);
                reader.Read();
                if (isParams)
                {
                    // Like a document lookup, the last "params" wins.
                    found = reader.TokenType == JsonTokenType.StartObject ? ReadCallParams(ref reader) : null;
                }
                else
                {
                    reader.Skip();
                }
            }

            // Read to the end so a body that is not valid JSON as a whole stays a write.
            while (reader.Read())
            {
            }

            if (found is not { } call)
            {
                return (null, null);
            }

            if (call.HasModel && call.Method is not null)
            {
                return (call.Service, call.Method);
            }

            // /jsonrpc's object.execute_kw carries the model method as its 5th argument.
            return call.Service == "object" && call.Method == "execute_kw" ? (call.Service, call.FifthArgument) : (call.Service, null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>The members of a params object that matter; the reader is left on its closing brace.</summary>
    private static CallParams ReadCallParams(ref Utf8JsonReader reader)
    {
        var call = new CallParams();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("service"u8))
            {
                reader.Read();
                call.Service = StringOrSkip(ref reader);
            }
            else if (reader.ValueTextEquals("method"u8))
            {
                reader.Read();
                call.Method = StringOrSkip(ref reader);
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                call.HasModel = true;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("args"u8))
            {
                reader.Read();
                call.FifthArgument = reader.TokenType == JsonTokenType.StartArray ? FifthString(ref reader) : SkipValue(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return call;
    }

    /// <summary>The 5th element of the array the reader is on when it is a string; the reader is left on the closing bracket.</summary>
    private static string? FifthString(ref Utf8JsonReader reader)
    {
        string? fifth = null;
        for (var index = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; index++)
        {
            if (index == 4 && reader.TokenType == JsonTokenType.String)
            {
                fifth = reader.GetString();
            }

            reader.Skip();
        }

        return fifth;
    }

    private static string? StringOrSkip(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString() : SkipValue(ref reader);

    private static string? SkipValue(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }

    private struct CallParams
    {
        public string? Service;
        public string? Method;
        public bool HasModel;
        public string? FifthArgument;
    }
}
