using System.Text.Json.Nodes;

namespace OdooAspire.OdooStandIn.JsonRpc;

/// <summary>
/// An error Odoo reports in a JSON-RPC envelope: <paramref name="name"/> is the Python exception's dotted name
/// (e.g. <c>odoo.exceptions.AccessDenied</c>), <paramref name="code"/> the JSON-RPC code Odoo uses (200, or
/// 100 for an expired session).
/// </summary>
public sealed class OdooException(string name, string message, int code = 200, string rpcMessage = "Odoo Server Error") : Exception(message)
{
    public string Name { get; } = name;

    public int Code { get; } = code;

    public string RpcMessage { get; } = rpcMessage;

    /// <summary>Odoo's <c>{"code":…,"message":…,"data":{"name","debug","message","arguments","context"}}</c>.</summary>
    public JsonObject ToError() => new()
    {
        ["code"] = Code,
        ["message"] = RpcMessage,
        ["data"] = new JsonObject
        {
            ["name"] = Name,
            ["debug"] = $"Traceback (most recent call last):\n{Name}: {Message}\n",
            ["message"] = Message,
            ["arguments"] = new JsonArray(Message),
            ["context"] = new JsonObject(),
        },
    };

    public static OdooException AccessDenied() => new("odoo.exceptions.AccessDenied", "Access Denied");

    public static OdooException AccessError(string message) => new("odoo.exceptions.AccessError", message);

    public static OdooException ValueError(string message) => new("builtins.ValueError", message);

    public static OdooException SessionExpired() => new("odoo.http.SessionExpiredException", "Session expired", 100, "Odoo Session Expired");
}
