using System.Text.RegularExpressions;

namespace OdooAspire.Tests.Odoo;

/// <summary>What a login page links in its head, as Odoo's web.frontend_layout writes it (and the stand-in copies).</summary>
public sealed partial record LoginPageAssets(string Stylesheet, string Script, string Icon)
{
    public IEnumerable<string> All => [Stylesheet, Script, Icon];

    public static LoginPageAssets Parse(string html)
    {
        string Find(Regex pattern, string what)
        {
            var match = pattern.Match(html);
            Assert.True(match.Success, $"the login page links no {what}:\n{html}");
            return match.Groups[1].Value;
        }

        return new(Find(StylesheetLink(), "stylesheet bundle"), Find(ScriptTag(), "script bundle"), Find(IconLink(), "icon"));
    }

    [GeneratedRegex("""<link[^>]*rel="stylesheet"[^>]*href="(/web/assets/[^"]+\.css)""")]
    private static partial Regex StylesheetLink();

    // Not data-src: Odoo's lazily loaded bundle is fetched by a script, not by the page.
    [GeneratedRegex("""<script[^>]*(?<![-\w])src="(/web/assets/[^"]+\.js)""")]
    private static partial Regex ScriptTag();

    [GeneratedRegex("""<link[^>]*rel="shortcut icon"[^>]*href="([^"]+)""")]
    private static partial Regex IconLink();
}
