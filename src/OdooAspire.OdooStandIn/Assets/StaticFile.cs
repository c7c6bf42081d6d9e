using System.Text;

namespace OdooAspire.OdooStandIn.Assets;

/// <summary>Content served as a file, with what Odoo's Stream carries for it: type, validator and modification time.</summary>
public sealed record StaticFile(string Name, byte[] Content, string ContentType, string ETag, DateTimeOffset LastModified)
{
    /// <summary>A file of the stand-in's static folder with Odoo's Stream.from_path ETag: "&lt;mtime&gt;-&lt;size&gt;-&lt;adler32(path)&gt;".</summary>
    public static StaticFile Read(string path)
    {
        var info = new FileInfo(path);
        var mtime = new DateTimeOffset(info.LastWriteTimeUtc).ToUnixTimeSeconds();
        return new(info.Name, File.ReadAllBytes(path), ContentTypeOf(info.Extension), $"{mtime}-{info.Length}-{Adler32(Encoding.UTF8.GetBytes(path))}",
            DateTimeOffset.FromUnixTimeSeconds(mtime));
    }

    /// <summary>Odoo's mimetypes, with the charset werkzeug adds to text, JavaScript and XML types.</summary>
    public static string ContentTypeOf(string extension) => extension.ToLowerInvariant() switch
    {
        ".css" => "text/css; charset=utf-8",
        ".js" => "application/javascript; charset=utf-8",
        ".svg" => "image/svg+xml; charset=utf-8",
        _ => "application/octet-stream",
    };

    /// <summary>zlib's adler32, which Odoo applies to the file's path for its ETag.</summary>
    private static uint Adler32(byte[] data)
    {
        uint a = 1, b = 0;
        foreach (var value in data)
        {
            a = (a + value) % 65521;
            b = (b + a) % 65521;
        }

        return (b << 16) | a;
    }
}
