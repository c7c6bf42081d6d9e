using System.Text;
using Microsoft.Extensions.Options;
using OdooAspire.Gateway;
using OdooAspire.Gateway.Resilience;

namespace OdooAspire.Tests.Gateway;

/// <summary>Which requests may be replayed after they reached a node.</summary>
public sealed class RequestClassifierTests
{
    private static readonly RequestClassifier Classifier = new(Options.Create(new GatewayOptions()));

    private static ForwardedRequest Classify(string method, string path, string? body = null) =>
        Classifier.Classify(method, path, body is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(body));

    private static string CallKw(string method) =>
        $$$$"""{"jsonrpc":"2.0","method":"call","id":7,"params":{"model":"res.partner","method":"{{{{method}}}}","args":[[1]],"kwargs":{}}}""";

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("OPTIONS")]
    public void Gets_heads_and_options_are_safe(string method) => Assert.True(Classify(method, "/odoo/action-contacts").IsSafe);

    [Theory]
    [InlineData("search_read")]
    [InlineData("read")]
    [InlineData("search_count")]
    [InlineData("read_group")]
    [InlineData("name_search")]
    [InlineData("fields_get")]
    [InlineData("web_search_read")]
    [InlineData("web_read")]
    public void Read_only_call_kw_methods_are_safe(string method) =>
        Assert.True(Classify("POST", $"/web/dataset/call_kw/res.partner/{method}", CallKw(method)).IsSafe);

    [Theory]
    [InlineData("write")]
    [InlineData("create")]
    [InlineData("unlink")]
    [InlineData("action_confirm")]
    [InlineData("message_post")]
    public void Writes_and_unknown_methods_are_not_safe(string method) =>
        Assert.False(Classify("POST", $"/web/dataset/call_kw/res.partner/{method}", CallKw(method)).IsSafe);

    [Fact]
    public void The_method_is_read_from_the_body_not_from_the_url()
    {
        Assert.False(Classify("POST", "/web/dataset/call_kw/res.partner/search_read", CallKw("unlink")).IsSafe);
    }

    [Fact]
    public void Read_only_routes_are_safe_whatever_their_body() =>
        Assert.True(Classify("POST", "/web/session/get_session_info", """{"jsonrpc":"2.0","params":{}}""").IsSafe);

    [Theory]
    [InlineData("/web/session/authenticate")]
    [InlineData("/web/dataset/call_button")]
    [InlineData("/mail/message/post")]
    public void Other_posts_are_writes(string path) => Assert.False(Classify("POST", path, """{"params":{}}""").IsSafe);

    [Fact]
    public void A_malformed_json_rpc_body_is_treated_as_a_write() =>
        Assert.False(Classify("POST", "/web/dataset/call_kw", "{\"params\": {\"method\": \"search_read\"").IsSafe);

    [Fact]
    public void External_api_execute_kw_reads_are_safe_and_writes_are_not()
    {
        static string ExecuteKw(string method) =>
            $$$"""{"jsonrpc":"2.0","method":"call","params":{"service":"object","method":"execute_kw","args":["db",2,"pw","res.partner","{{{method}}}",[[]]]}}""";

        Assert.True(Classify("POST", "/jsonrpc", ExecuteKw("search_read")).IsSafe);
        Assert.False(Classify("POST", "/jsonrpc", ExecuteKw("write")).IsSafe);
        Assert.Equal("object", Classify("POST", "/jsonrpc", ExecuteKw("write")).JsonRpc.Service);
    }

    [Fact]
    public void The_read_only_method_list_is_configuration()
    {
        var options = new GatewayOptions();
        options.Retry.ReadOnlyMethods.Add("x_report_preview");
        var classifier = new RequestClassifier(Options.Create(options));

        Assert.True(classifier.Classify("POST", "/web/dataset/call_kw", Encoding.UTF8.GetBytes(CallKw("x_report_preview"))).IsSafe);
    }

    [Fact]
    public void A_body_too_large_to_buffer_is_never_safe_to_replay() =>
        Assert.False(Classifier.Classify("POST", "/web/dataset/call_kw", body: null).IsSafe);

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("OPTIONS")]
    public void A_write_sent_with_a_read_method_is_still_a_write(string method)
    {
        Assert.False(Classify(method, "/web/dataset/call_kw/res.partner/create", CallKw("create")).IsSafe);
        Assert.False(Classify(method, "/web/login", "login=admin&password=x").IsSafe);
        Assert.True(Classify(method, "/web/dataset/call_kw/res.partner/read", CallKw("read")).IsSafe);
    }

    [Theory]
    [InlineData("""{"params":{"model":"res.partner","method":"read","args":[NaN]}}""")]
    [InlineData("""{"params":{"model":"res.partner","method":"read\ud800"}}""")]
    [InlineData("\uFEFF{}")]
    public void A_body_python_may_read_but_dotnet_cannot_is_unreadable_and_a_write(string body)
    {
        var request = Classify("POST", "/web/dataset/call_kw", body);

        Assert.False(request.JsonRpc.Readable);
        Assert.False(request.IsSafe);
    }

    [Fact]
    public void Escaped_names_and_values_are_read_as_python_reads_them()
    {
        var request = Classify("POST", "/jsonrpc", """{"par\u0061ms":{"serv\u0069ce":"d\u0062","method":"list","args":[]}}""");

        Assert.Equal("db", request.JsonRpc.Service);
    }

    [Fact]
    public void Nesting_deeper_than_dotnets_default_is_still_read()
    {
        var deep = new string('[', 200) + new string(']', 200);
        var request = Classify("POST", "/jsonrpc", $$$"""{"params":{"service":"db","method":"list","args":{{{deep}}}}}""");

        Assert.Equal("db", request.JsonRpc.Service);
    }

    [Theory]
    [InlineData("/jsonrpc/")]
    [InlineData("//jsonrpc")]
    [InlineData("/JSONRPC")]
    [InlineData("/web/dataset/call_kw/")]
    public void Paths_are_judged_as_odoo_routes_them(string path) =>
        Assert.Equal("search_read", Classify("POST", path, """{"params":{"model":"res.partner","method":"search_read"}}""").JsonRpc.ModelMethod);
}
