using System.Text.Json.Nodes;

namespace OdooAspire.Tests.Odoo;

public sealed class SessionTests(OdooStackFixture stack) : IClassFixture<OdooStackFixture>
{
    [Fact]
    public async Task A_session_created_by_logging_in_on_one_node_is_valid_on_every_other_node()
    {
        using var first = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[0]);
        Assert.NotNull(first.SessionId);

        foreach (var node in OdooStackFixture.Nodes.Skip(1))
        {
            using var other = stack.Client(node);
            other.SessionId = first.SessionId;
            var info = await other.ResultAsync("/web/session/get_session_info", []);
            Assert.Equal(2, info!["uid"]!.GetValue<int>());
            Assert.Equal("admin", info["username"]!.GetValue<string>());
            Assert.Equal(first.SessionId, other.SessionId);
        }
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_Odoos_AccessDenied_and_no_session()
    {
        using var client = stack.Client(OdooStackFixture.Nodes[1]);
        var answer = await client.AuthenticateAsync(OdooStackFixture.Database, "admin", "not-" + stack.AdminPassword);

        var error = answer["error"]!;
        Assert.Equal(200, error["code"]!.GetValue<int>());
        Assert.Equal("Odoo Server Error", error["message"]!.GetValue<string>());
        Assert.Equal("odoo.exceptions.AccessDenied", error["data"]!["name"]!.GetValue<string>());

        var info = await client.CallAsync("/web/session/get_session_info", []);
        Assert.Equal("odoo.http.SessionExpiredException", info["error"]!["data"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_partner_created_through_node_1_is_read_through_node_2_within_5_seconds()
    {
        using var writer = await stack.LoggedInClientAsync(OdooStackFixture.Nodes[0]);
        var name = $"Partner {Guid.NewGuid():N}";
        var id = (await writer.ResultAsync("/web/dataset/call_kw", new JsonObject
        {
            ["model"] = "res.partner", ["method"] = "create", ["args"] = new JsonArray(new JsonObject { ["name"] = name }), ["kwargs"] = new JsonObject(),
        }))!.GetValue<int>();

        using var reader = stack.Client(OdooStackFixture.Nodes[1]);
        reader.SessionId = writer.SessionId;
        var rows = await Infrastructure.Poll.UntilAsync(
            async () => (await reader.ResultAsync("/web/dataset/call_kw", new JsonObject
            {
                ["model"] = "res.partner", ["method"] = "search_read",
                ["args"] = new JsonArray(new JsonArray(new JsonArray("name", "=", name))),
                ["kwargs"] = new JsonObject { ["fields"] = new JsonArray("id", "name") },
            }))!.AsArray(),
            rows => rows.Count == 1,
            TimeSpan.FromSeconds(5),
            "the new partner read through node 2");
        Assert.Equal(id, rows[0]!["id"]!.GetValue<int>());
    }
}
