namespace OdooAspire.Tests.Gateway;

/// <summary>
/// The hostile battery against the running stack's gateway while a logged-in user works through it: no hostile request
/// reaches a node (the gateway marks every answer a node gave with its name), no node leaves rotation because of one,
/// no answer carries a stack trace, and the user's requests all succeed.
/// </summary>
[Collection(GatewayStackCollection.Name)]
public sealed class HostileStackTests(GatewayStackFixture stack)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static IEnumerable<(string What, byte[] Request)> Battery()
    {
        foreach (var row in HostileInputTests.DatabaseManagerVariants())
        {
            var (method, path, contentType, body) = ((string)row[0], (string)row[1], (string)row[2], (string)row[3]);
            yield return ($"{method} {path} {contentType}", RawHttp.Request(method, path, body, contentType));
        }

        // The stack keeps the default 128 MiB body limit: only the malformed bodies are hostile here.
        foreach (var row in HostileInputTests.BrokenBodies.Where(row => (int)row[1] == 400))
        {
            yield return ("broken body", RawHttp.Chunked("POST", "/web/binary/upload_attachment", (string)row[0]));
        }

        yield return ("foreign host", RawHttp.Request("GET", "/web/login", "", host: "evil.example"));
    }

    [Fact]
    public async Task No_hostile_request_reaches_a_node_takes_one_out_or_fails_a_user()
    {
        var load = await GatewayLoad.StartAsync(stack.Gateway, stack.AdminPassword, workers: 2);
        await using (load)
        {
            await load.WaitForMoreAsync(50, Deadline, "50 requests before the battery");
            var answers = new List<string>();
            foreach (var (what, request) in Battery())
            {
                var answer = await RawHttp.ExchangeAsync(stack.Gateway, request, Deadline);
                answers.Add($"{what} => {answer.Split("\r\n")[0]}");
                Assert.False(answer.Contains("X-OdooAspire-Node", StringComparison.OrdinalIgnoreCase), $"{what} reached a node: {answer}");
                Assert.DoesNotContain("   at ", answer, StringComparison.Ordinal);
                Assert.InRange(RawHttp.Status(answer), 400, 499);
            }

            var states = await stack.NodeStatesAsync();
            await load.WaitForMoreAsync(50, Deadline, "50 requests after the battery");
            await load.StopAsync();

            Assert.All(states, state => Assert.Equal("up", state.Value));
            Assert.Empty(load.Outcomes.Where(o => o.Failed).Select(o => $"{o.Kind} {o.Error}"));
            Assert.True(answers.Count >= 50, string.Join('\n', answers));
        }
    }
}
