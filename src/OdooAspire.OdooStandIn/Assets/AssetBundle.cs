using System.Security.Cryptography;
using System.Text;

namespace OdooAspire.OdooStandIn.Assets;

/// <summary>
/// One generated bundle as Odoo's ir.qweb serves it at <c>/web/assets/&lt;unique&gt;/&lt;name&gt;.min.&lt;css|js&gt;</c>:
/// its files joined, a version from a SHA-512 of the content, and the SHA-1 checksum Odoo's attachment uses as ETag.
/// </summary>
public sealed class AssetBundle
{
    public AssetBundle(string name, string extension, IReadOnlyList<StaticFile> files)
    {
        Name = name;
        Filename = $"{name}.min.{extension}";
        var content = Encoding.UTF8.GetBytes(string.Join('\n', files.Select(f => Encoding.UTF8.GetString(f.Content))));
        // Odoo's get_version: the first 7 hex digits of a SHA-512, so a changed bundle gets a new URL.
        Unique = Convert.ToHexStringLower(SHA512.HashData(content))[..7];
        File = new StaticFile(Filename, content, StaticFile.ContentTypeOf("." + extension), Convert.ToHexStringLower(SHA1.HashData(content)),
            files.Max(f => f.LastModified));
    }

    public string Name { get; }

    public string Filename { get; }

    public string Unique { get; }

    public StaticFile File { get; }

    /// <summary>Odoo's bundle.get_link(): where a page refers to the current version.</summary>
    public string Url => $"/web/assets/{Unique}/{Filename}";
}
