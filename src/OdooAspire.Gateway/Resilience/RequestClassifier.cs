using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OdooAspire.Gateway.Routing;

namespace OdooAspire.Gateway.Resilience;

/// <summary>
/// Decides whether a request may be replayed after it reached a node. Only what is positively a read is: a bodiless
/// GET, HEAD or OPTIONS, a configured read-only route, or a JSON-RPC call of a configured read-only method that the
/// gateway read whole. Odoo dispatches a JSON route on its Content-Type alone, whatever the HTTP method, so a GET with a
/// body is judged by its body like a POST. Everything else, an unreadable or unbuffered body included, is a write.
/// </summary>
public sealed class RequestClassifier(IOptions<GatewayOptions> options)
{
    public const string CallKwRoute = "/web/dataset/call_kw";
    public const string JsonRpcRoute = "/jsonrpc";

    // Deeper than Python's json would go (its recursion limit is ~1000): anything deeper is unreadable, not "no call".
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 1024 };

    private readonly HashSet<string> _readOnlyMethods = new(options.Value.Retry.ReadOnlyMethods, StringComparer.Ordinal);
    private readonly HashSet<string> _readOnlyRoutes = new(options.Value.Retry.ReadOnlyRoutes.Select(r => OdooPath.Normalise(r)), StringComparer.OrdinalIgnoreCase);

    /// <summary>Classifies a request; <paramref name="body"/> is null when the body was not buffered (it streams).</summary>
    public ForwardedRequest Classify(string method, PathString path, ReadOnlyMemory<byte>? body, BodyNotBuffered notBuffered = BodyNotBuffered.No)
    {
        var route = OdooPath.Normalise(path);
        var hasBody = body is not { Length: 0 };
        if (OdooPath.IsUnder(route, CallKwRoute) || OdooPath.IsUnder(route, JsonRpcRoute))
        {
            var call = body switch
            {
                null => JsonRpcBody.Unreadable,
                { Length: 0 } => JsonRpcBody.None,
                { } json => ReadParams(json.Span),
            };
            var isRead = hasBody
                ? call.ModelMethod is { } modelMethod && _readOnlyMethods.Contains(modelMethod)
                : IsBodilessRead(method);
            return new ForwardedRequest(body, isRead, call) { NotBuffered = notBuffered };
        }

        var isSafe = (!hasBody && IsBodilessRead(method)) || _readOnlyRoutes.Contains(route);
        return new ForwardedRequest(body, isSafe, JsonRpcBody.None) { NotBuffered = notBuffered };
    }

    private static bool IsBodilessRead(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    /// <summary>
    /// Reads params.service and the called model method from a JSON-RPC body in one forward pass of a reader, which still
    /// validates all of it. A body .NET cannot read as one JSON document (NaN, a lone surrogate, too deep, not UTF-8) is
    /// unreadable, never "no call": Python's json may read it.
    /// </summary>
    private static JsonRpcBody ReadParams(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, ReaderOptions);
            if (!reader.Read())
            {
                return JsonRpcBody.Unreadable;
            }

            CallParams? found = null;
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isParams = reader.ValueTextEquals("params"u8);
                    reader.Read();
                    if (isParams)
                    {
                        // Like Python's json, the last "params" wins.
                        found = reader.TokenType == JsonTokenType.StartObject ? ReadCallParams(ref reader) : SkipCall(ref reader);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Skip();
            }

            // Read to the end so a body that is not one valid JSON document is unreadable.
            while (reader.Read())
            {
            }

            if (found is not { } call)
            {
                return JsonRpcBody.None;
            }

            if (call.HasModel && call.Method is not null)
            {
                return new JsonRpcBody(Readable: true, call.Service, call.Method);
            }

            // /jsonrpc's object.execute_kw carries the model method as its 5th argument.
            var modelMethod = call.Service == "object" && call.Method == "execute_kw" ? call.FifthArgument : null;
            return new JsonRpcBody(Readable: true, call.Service, modelMethod);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string .NET cannot decode (a lone surrogate escape), which Python accepts.
            return JsonRpcBody.Unreadable;
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

    private static CallParams? SkipCall(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
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
