using System.Text.Json.Nodes;

namespace OdooAspire.OdooStandIn.Sessions;

/// <summary>
/// Odoo's session: a JSON object (get_default_session() in odoo/http.py) under an 84-character id. Keys the
/// stand-in does not use are kept as they are, so a session written by real Odoo survives a round trip.
/// </summary>
public sealed class OdooSession(string sid, JsonObject data, bool isNew)
{
    public string Sid { get; set; } = sid;

    public JsonObject Data { get; } = data;

    public bool IsNew { get; } = isNew;

    public bool IsDirty { get; set; }

    public int? Uid => Data["uid"]?.GetValue<int?>();

    public string? Login => Data["login"]?.GetValue<string>();

    public string? Db => Data["db"]?.GetValue<string>();

    public string? SessionToken => Data["session_token"]?.GetValue<string>();

    public bool Has(string key) => Data.ContainsKey(key);

    /// <summary>
    /// What Odoo gives any visitor and nothing more (no user, no cart): db, debug and the context's lang come from the
    /// request, so only the other defaults must be untouched. Such a session gets the short lifetime.
    /// </summary>
    public bool HoldsOnlyDefaults
    {
        get
        {
            var defaults = Defaults();
            return Data.All(entry => entry.Key switch
            {
                "context" => entry.Value is JsonObject context && context.All(setting => setting.Key == "lang"),
                "db" or "debug" or "create_time" => true,
                _ => defaults.TryGetPropertyValue(entry.Key, out var expected) && JsonNode.DeepEquals(entry.Value, expected),
            });
        }
    }

    public void Set(string key, JsonNode? value)
    {
        Data[key] = value;
        IsDirty = true;
    }

    /// <summary>Odoo's default session dict.</summary>
    public static JsonObject Defaults() => new()
    {
        ["context"] = new JsonObject { ["lang"] = "en_US" },
        ["db"] = null,
        ["debug"] = "",
        ["login"] = null,
        ["uid"] = null,
        ["session_token"] = null,
        ["_trace"] = new JsonArray(),
        ["create_time"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0,
    };
}
