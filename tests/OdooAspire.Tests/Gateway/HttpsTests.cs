using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OdooAspire.Tests.Gateway;

/// <summary>With an HTTPS endpoint, plain HTTP is redirected to it and browsers are told to stay on HTTPS (HSTS).</summary>
public sealed class HttpsTests
{
    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=odoo.example.com", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), password: null);
    }

    [Fact]
    public async Task Http_is_redirected_to_https_and_https_answers_carry_hsts()
    {
        using var certificate = SelfSigned();
        await using var gateway = await InProcessGateway.StartAsync(
            nodeCount: 1, settings: new Dictionary<string, string?> { ["AllowedHosts"] = "odoo.example.com" }, httpsCertificate: certificate);

        using var redirect = await gateway.Client.GetAsync("/web/login");
        Assert.Equal(HttpStatusCode.TemporaryRedirect, redirect.StatusCode);
        var target = redirect.Headers.Location!;
        Assert.Equal("https", target.Scheme);
        Assert.Equal("/web/login", target.AbsolutePath);
        Assert.Empty(gateway.Nodes[0].Received);

        // HSTS is never sent for localhost names, so the request names the public host.
        using var https = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        request.Headers.Host = "odoo.example.com";
        using var response = await https.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains("Strict-Transport-Security"));
        Assert.Equal("odoo-1", response.Headers.GetValues("X-OdooAspire-Node").Single());
    }

    [Fact]
    public async Task Without_an_https_endpoint_http_is_served_as_is()
    {
        await using var gateway = await InProcessGateway.StartAsync(nodeCount: 1);

        using var response = await gateway.Client.GetAsync("/web/login");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }
}
