namespace OdooAspire.OdooStandIn.Assets;

/// <summary>
/// The stand-in's static folder (served as Odoo's <c>/web/static/</c>), the two bundles its login page loads, built from it
/// as Odoo builds <c>web.assets_frontend</c> and <c>web.assets_frontend_minimal</c>, and how many asset requests this node served.
/// </summary>
public sealed class AssetCatalog
{
    /// <summary>Copied next to the stand-in's binary by its project file.</summary>
    public const string Folder = "static";

    private const string IconPath = "img/favicon.svg";

    private readonly Dictionary<string, StaticFile> _files;
    private readonly Dictionary<string, AssetBundle> _bundles;
    private long _requests;

    public AssetCatalog()
    {
        var root = Path.Combine(AppContext.BaseDirectory, Folder);
        if (!Directory.Exists(root))
        {
            throw new InvalidOperationException($"Odoo stand-in: its static folder {root} is missing: rebuild OdooAspire.OdooStandIn, which copies static/ next to its binary");
        }

        // Looked up by exact relative path, never joined onto the disk at request time: no path can escape the folder.
        _files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(path => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/'), StaticFile.Read, StringComparer.Ordinal);
        Stylesheet = new AssetBundle("web.assets_frontend", "css", [Required("src/css/stand_in_login.css")]);
        Script = new AssetBundle("web.assets_frontend_minimal", "js", [Required("src/js/stand_in_login.js")]);
        Required(IconPath);
        _bundles = new[] { Stylesheet, Script }.ToDictionary(b => b.Filename, StringComparer.Ordinal);
    }

    /// <summary>The login page's stylesheet bundle.</summary>
    public AssetBundle Stylesheet { get; }

    /// <summary>The login page's deferred script bundle.</summary>
    public AssetBundle Script { get; }

    /// <summary>The login page's icon, a file of the static folder.</summary>
    public string IconUrl => $"/web/static/{IconPath}";

    /// <summary>Requests this node answered on /web/static/ and /web/assets/ (any status): a stand-in diagnostic, not an Odoo one.</summary>
    public long RequestsServed => Interlocked.Read(ref _requests);

    public void CountRequest() => Interlocked.Increment(ref _requests);

    public StaticFile? File(string path) => _files.GetValueOrDefault(path);

    public AssetBundle? Bundle(string filename) => _bundles.GetValueOrDefault(filename);

    private StaticFile Required(string path) =>
        _files.GetValueOrDefault(path) ?? throw new InvalidOperationException($"Odoo stand-in: {Folder}/{path} is missing from its static folder: rebuild OdooAspire.OdooStandIn");
}
