using System.Diagnostics;

namespace OdooAspire.AppHost.Edge;

/// <summary>A self-signed certificate for localhost, made with openssl for local runs when none is configured.</summary>
public static class DevelopmentCertificate
{
    public const string CertificateFile = "edge.crt";
    public const string KeyFile = "edge.key";

    /// <summary>Valid for localhost, 127.0.0.1 and ::1: the names a browser on this machine uses for the edge.</summary>
    public const string SubjectAlternativeNames = "DNS:localhost,IP:127.0.0.1,IP:::1";

    private static readonly TimeSpan OpensslTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The certificate and key in <paramref name="folder"/>, generated on first use and kept for the run.</summary>
    public static async Task<(string Certificate, string Key)> EnsureAsync(string openssl, string folder, CancellationToken cancellationToken)
    {
        var certificate = Path.Combine(folder, CertificateFile);
        var key = Path.Combine(folder, KeyFile);
        if (File.Exists(certificate) && File.Exists(key))
        {
            return (certificate, key);
        }

        Directory.CreateDirectory(folder);
        var start = new ProcessStartInfo(openssl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
            "-subj", "/CN=localhost/O=OdooAspire development edge",
            "-addext", $"subjectAltName={SubjectAlternativeNames}",
            "-addext", "extendedKeyUsage=serverAuth",
            "-keyout", key, "-out", certificate,
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(OpensslTimeout);
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl could not make the edge's development certificate: {(await stderr.ConfigureAwait(false)).Trim()}");
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return (certificate, key);
    }
}
