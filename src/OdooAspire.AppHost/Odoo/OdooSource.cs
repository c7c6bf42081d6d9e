using System.Diagnostics;
using OdooAspire.AppHost.Runtime;

using OdooAspire.Odoo;

namespace OdooAspire.AppHost.Odoo;

/// <summary>
/// An Odoo 18 source tree (<c>Odoo:SourcePath</c>) run by Debian's Python. Checked before anything starts:
/// a missing tree or Python module is one line naming the fix, not a traceback from three nodes.
/// </summary>
public sealed record OdooSource(string Root)
{
    /// <summary>Debian's interpreter: the one python3-* packages install into.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>What odoo-bin imports at start (debian/control of Odoo 18), and the session addon's redis.</summary>
    private static readonly (string Module, string Package)[] Modules =
    [
        ("babel", "python3-babel"), ("dateutil", "python3-dateutil"), ("decorator", "python3-decorator"),
        ("docutils", "python3-docutils"), ("gevent", "python3-gevent"), ("greenlet", "python3-greenlet"),
        ("idna", "python3-idna"), ("PIL", "python3-pil"), ("jinja2", "python3-jinja2"), ("lxml", "python3-lxml"),
        ("markupsafe", "python3-markupsafe"), ("num2words", "python3-num2words"), ("passlib", "python3-passlib"),
        ("polib", "python3-polib"), ("psutil", "python3-psutil"), ("psycopg2", "python3-psycopg2"),
        ("OpenSSL", "python3-openssl"), ("PyPDF2", "python3-pypdf2"), ("reportlab", "python3-reportlab"),
        ("requests", "python3-requests"), ("rjsmin", "python3-rjsmin"), ("stdnum", "python3-stdnum"),
        ("pytz", "python3-tz"), ("urllib3", "python3-urllib3"), ("vobject", "python3-vobject"),
        ("werkzeug", "python3-werkzeug"), ("xlsxwriter", "python3-xlsxwriter"), ("xlrd", "python3-xlrd"),
        ("zeep", "python3-zeep"), ("openpyxl", "python3-openpyxl"), ("qrcode", "python3-qrcode"),
        ("asn1crypto", "python3-asn1crypto"), ("cbor2", "python3-cbor2"), ("chardet", "python3-chardet"),
        ("cryptography", "python3-cryptography"), ("sass", "python3-libsass"), ("redis", "python3-redis"),
    ];

    public string OdooBin => Path.Combine(Root, "odoo-bin");

    /// <summary>Odoo's own addon folders, in the order odoo-bin would use them.</summary>
    public IReadOnlyList<string> AddonsPath => [Path.Combine(Root, "odoo", "addons"), Path.Combine(Root, "addons")];

    /// <summary>The tree at <paramref name="path"/>; when the app will run, also checks Python and its modules.</summary>
    public static OdooSource Locate(string path, bool checkPython)
    {
        var source = new OdooSource(Path.GetFullPath(path));
        if (!File.Exists(source.OdooBin) || !Directory.Exists(Path.Combine(source.Root, "addons", "web")))
        {
            throw new MissingPrerequisiteException(
                $"{OdooSettings.SourcePathKey}={path} is not an Odoo 18 source tree (no odoo-bin or addons/web): point it at a checkout of Odoo 18.0");
        }

        if (checkPython)
        {
            CheckPython();
        }

        return source;
    }

    private static void CheckPython()
    {
        if (!File.Exists(Python))
        {
            throw new MissingPrerequisiteException($"{Python} not found: apt-get install python3");
        }

        // One interpreter start for every module: find_spec locates a module without importing it.
        var probe = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        probe.ArgumentList.Add("-c");
        probe.ArgumentList.Add("import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))");
        foreach (var (module, _) in Modules)
        {
            probe.ArgumentList.Add(module);
        }

        using var process = Process.Start(probe)!;
        var missing = process.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        process.WaitForExit();
        if (missing.Length > 0)
        {
            var packages = missing.Select(m => Modules.First(pair => pair.Module == m).Package);
            throw new MissingPrerequisiteException(
                $"Odoo needs Python module{(missing.Length > 1 ? "s" : "")} {string.Join(", ", missing)} for {Python}: apt-get install {string.Join(' ', packages)}");
        }
    }
}
