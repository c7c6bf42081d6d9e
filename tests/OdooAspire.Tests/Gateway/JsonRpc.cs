using System.Net.Http.Json;

namespace OdooAspire.Tests.Gateway;

/// <summary>Odoo-shaped JSON-RPC requests, as the web client sends them.</summary>
public static class JsonRpc
{
    public const string CallKwPath = "/web/dataset/call_kw";

    public static HttpRequestMessage CallKw(string model, string method, object? args = null) =>
        new(HttpMethod.Post, $"{CallKwPath}/{model}/{method}")
        {
            Content = JsonContent.Create(new
            {
                jsonrpc = "2.0",
                method = "call",
                id = 1,
                @params = new { model, method, args = args ?? Array.Empty<object>(), kwargs = new { } },
            }),
        };

    public static HttpRequestMessage Write(string name = "Ada") => CallKw("res.partner", "write", new object[] { new[] { 1 }, new { name } });

    public static HttpRequestMessage SearchRead() => CallKw("res.partner", "search_read", new object[] { Array.Empty<object>(), new[] { "name" } });
}
