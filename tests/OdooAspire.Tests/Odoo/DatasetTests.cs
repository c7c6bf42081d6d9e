using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.Odoo;

[Collection(OdooStackCollection.Name)]
public sealed class DatasetTests(OdooStackFixture stack)
{
    private static JsonArray Domain(params JsonArray[] leaves) => [.. leaves];

    [Fact]
    public async Task A_partner_created_through_node_1_is_read_through_node_2_within_5_seconds()
    {
        using var writer = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[0]);
        var name = $"Partner {Guid.NewGuid():N}";
        var id = (await writer.ResultAsync("/web/dataset/call_kw", CallKw("create", [new JsonObject { ["name"] = name }])))!.GetValue<int>();

        using var reader = stack.Client(OdooStackFixture.Nodes[1]);
        reader.SessionId = writer.SessionId;
        var rows = await Poll.UntilAsync(
            async () => (await reader.ResultAsync("/web/dataset/call_kw", CallKw("search_read", [Domain(["name", "=", name])], new JsonObject { ["fields"] = new JsonArray("id", "name") })))!.AsArray(),
            rows => rows.Count == 1,
            TimeSpan.FromSeconds(5),
            "the new partner read through node 2");
        Assert.Equal(id, rows[0]!["id"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_partner_written_and_unlinked_on_one_node_changes_and_disappears_on_another()
    {
        using var writer = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[2]);
        var id = (await writer.ResultAsync("/web/dataset/call_kw", CallKw("create", [new JsonObject { ["name"] = "Before", ["email"] = "before@example.com" }])))!.GetValue<int>();
        Assert.True((await writer.ResultAsync("/web/dataset/call_kw", CallKw("write", [new JsonArray(id), new JsonObject { ["name"] = "After" }])))!.GetValue<bool>());

        using var reader = stack.Client(OdooStackFixture.Nodes[0]);
        reader.SessionId = writer.SessionId;
        await Poll.UntilAsync(
            async () => (await reader.ResultAsync("/web/dataset/call_kw", CallKw("read", [new JsonArray(id), new JsonArray("name", "email")])))!.AsArray(),
            rows => rows.Count == 1 && rows[0]!["name"]!.GetValue<string>() == "After" && rows[0]!["email"]!.GetValue<string>() == "before@example.com",
            TimeSpan.FromSeconds(5),
            "the renamed partner read through node 1");

        Assert.True((await writer.ResultAsync("/web/dataset/call_kw", CallKw("unlink", [new JsonArray(id)])))!.GetValue<bool>());
        await Poll.UntilAsync(
            async () => (await reader.ResultAsync("/web/dataset/call_kw", CallKw("search_count", [Domain(["id", "=", id])])))!.GetValue<int>(),
            count => count == 0,
            TimeSpan.FromSeconds(5),
            "the unlinked partner gone on node 1");
    }

    [Fact]
    public async Task A_malformed_json_rpc_body_is_answered_400_Invalid_JSON_data()
    {
        using var client = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[0]);

        using var response = await client.PostAsync("/web/dataset/call_kw", new StringContent("{\"jsonrpc\": \"2.0\", \"params\": ", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Invalid JSON data", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_unknown_model_is_a_KeyError_and_an_unknown_method_an_AttributeError()
    {
        using var client = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[1]);

        var model = await client.CallKwAsync("no.such.model", "search_read", [new JsonArray()]);
        Assert.Equal("builtins.KeyError", model["error"]!["data"]!["name"]!.GetValue<string>());

        var method = await client.CallKwAsync("res.partner", "no_such_method", [new JsonArray()]);
        Assert.Equal("builtins.AttributeError", method["error"]!["data"]!["name"]!.GetValue<string>());
        Assert.Contains("no_such_method", method["error"]!["data"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_private_method_cannot_be_called_remotely()
    {
        using var client = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[2]);

        var answer = await client.CallKwAsync("res.partner", "_unlink", [new JsonArray(3)]);

        Assert.Equal("odoo.exceptions.AccessError", answer["error"]!["data"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Call_kw_without_a_session_is_answered_Session_Expired()
    {
        using var client = stack.Client(OdooStackFixture.Nodes[0]);

        var answer = await client.CallKwAsync("res.partner", "search_read", [new JsonArray()]);

        Assert.Equal(100, answer["error"]!["code"]!.GetValue<int>());
        Assert.Equal("Odoo Session Expired", answer["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_create_with_an_invalid_field_is_refused_and_creates_nothing()
    {
        using var client = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[0]);
        var name = $"Invalid {Guid.NewGuid():N}";

        var answer = await client.CallKwAsync("res.partner", "create", [new JsonObject { ["name"] = name, ["no_such_field"] = 1 }]);

        Assert.Equal("builtins.ValueError", answer["error"]!["data"]!["name"]!.GetValue<string>());
        var primary = await stack.App.ConnectionStringAsync(ResourceNames.PostgresPrimary);
        var count = await Sql.ScalarAsync<long>(
            new Npgsql.NpgsqlConnectionStringBuilder(primary) { Database = OdooStackFixture.Database }.ConnectionString,
            $"SELECT count(*) FROM res_partner WHERE name = '{name}'");
        Assert.Equal(0, count);
    }

    private static JsonObject CallKw(string method, JsonArray args, JsonObject? kwargs = null) => new()
    {
        ["model"] = "res.partner",
        ["method"] = method,
        ["args"] = args,
        ["kwargs"] = kwargs ?? [],
    };
}
