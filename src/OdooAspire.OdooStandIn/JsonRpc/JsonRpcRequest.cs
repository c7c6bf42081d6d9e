using System.Net.Mime;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OdooAspire.OdooStandIn.JsonRpc;

/// <summary>
/// A JSON-RPC 2.0 call as Odoo's JsonRPCDispatcher reads it: by-name <c>params</c> only, <c>method</c> ignored
/// (the path names the route), <c>id</c> echoed back.
/// </summary>
public sealed record JsonRpcRequest(JsonNode? Id, JsonObject Params)
{
    /// <summary>
    /// The request, or null after answering 400 as Odoo does ("Invalid JSON data" / "Invalid JSON-RPC data").
    /// </summary>
    public static async Task<JsonRpcRequest?> ReadAsync(HttpContext context)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            await BadRequestAsync(context, "Invalid JSON data");
            return null;
        }

        if (body is not JsonObject envelope || envelope["params"] is not (null or JsonObject))
        {
            await BadRequestAsync(context, "Invalid JSON-RPC data");
            return null;
        }

        return new(envelope["id"]?.DeepClone(), (envelope["params"] as JsonObject)?.DeepClone().AsObject() ?? []);
    }

    public Task WriteResultAsync(HttpContext context, JsonNode? result) =>
        WriteAsync(context, new JsonObject { ["jsonrpc"] = "2.0", ["id"] = Id?.DeepClone(), ["result"] = result });

    public Task WriteErrorAsync(HttpContext context, OdooException error) =>
        WriteAsync(context, new JsonObject { ["jsonrpc"] = "2.0", ["id"] = Id?.DeepClone(), ["error"] = error.ToError() });

    public string? String(string name) => Params[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static Task WriteAsync(HttpContext context, JsonObject envelope)
    {
        context.Response.ContentType = MediaTypeNames.Application.Json;
        return context.Response.WriteAsync(envelope.ToJsonString(), context.RequestAborted);
    }

    private static Task BadRequestAsync(HttpContext context, string message)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = MediaTypeNames.Text.Html;
        return context.Response.WriteAsync(message, context.RequestAborted);
    }
}
