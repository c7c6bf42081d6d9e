using System.Net;
using OdooAspire.Tests.Odoo;

namespace OdooAspire.Tests.Edge;

/// <summary>Requests as a browser makes them through the edge: the login page first, then its assets with the session cookie.</summary>
public static class EdgePages
{
    /// <summary>What a browser does first: load the login page, keep the session cookie, read which assets it links.</summary>
    public static async Task<(string Session, LoginPageAssets Assets)> LoginPageAsync(HttpClient client)
    {
        using var page = await client.GetAsync("/web/login");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        return (SessionCookies(page).Single(), LoginPageAssets.Parse(await page.Content.ReadAsStringAsync()));
    }

    public static async Task<HttpResponseMessage> GetAsync(HttpClient client, string url, string session)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("Cookie", $"session_id={session}");
        return await client.SendAsync(request);
    }

    public static List<string> SessionCookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? [.. cookies.Select(c => c.Split(';')[0]).Where(c => c.StartsWith("session_id=", StringComparison.Ordinal)).Select(c => c["session_id=".Length..])]
            : [];
}
