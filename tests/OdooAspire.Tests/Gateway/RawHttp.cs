using System.Net.Sockets;
using System.Text;

namespace OdooAspire.Tests.Gateway;

/// <summary>Hand-made HTTP/1.1 over a socket, for requests no well-behaved client would send.</summary>
public static class RawHttp
{
    /// <summary>Sends <paramref name="request"/> and returns the first bytes of the answer.</summary>
    public static async Task<string> SendAsync(Uri server, string request, TimeSpan deadline)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
        using var cts = new CancellationTokenSource(deadline);
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer, cts.Token);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    /// <summary>Sends <paramref name="request"/> (with <c>Connection: close</c> in it) and reads the whole answer.</summary>
    public static async Task<string> ExchangeAsync(Uri server, byte[] request, TimeSpan deadline)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        using var cts = new CancellationTokenSource(deadline);
        try
        {
            await stream.WriteAsync(request, cts.Token);
        }
        catch (IOException)
        {
            // The gateway may answer and close before it read everything; its answer is still there to read.
        }

        using var answer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(answer, cts.Token);
        }
        catch (IOException)
        {
            // A reset after the answer: what arrived is the answer.
        }

        return Encoding.UTF8.GetString(answer.ToArray());
    }

    /// <summary>A request with a Content-Length body, the connection closed after the answer.</summary>
    public static byte[] Request(string method, string target, string body, string contentType = "application/json", string host = "127.0.0.1", string extraHeaders = "")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var head = $"{method} {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {contentType}\r\nContent-Length: {bytes.Length}\r\n{extraHeaders}Connection: close\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(head), .. bytes];
    }

    /// <summary>A chunked request whose chunks are given as they go on the wire (sizes, CRLFs and all).</summary>
    public static byte[] Chunked(string method, string target, string chunks, string host = "127.0.0.1") =>
        Encoding.UTF8.GetBytes($"{method} {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{chunks}");

    /// <summary>The status code of a raw answer, 0 when there was none.</summary>
    public static int Status(string answer) =>
        answer.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && int.TryParse(answer.AsSpan(9, 3), out var status) ? status : 0;
}
