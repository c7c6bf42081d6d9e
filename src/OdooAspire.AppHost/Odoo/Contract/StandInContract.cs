namespace OdooAspire.Odoo;

/// <summary>What the Odoo stand-in offers beyond Odoo's own routes, for the tests that run against it.</summary>
public static class StandInContract
{
    /// <summary>
    /// The stand-in-only route telling what a node saw of a request (as Odoo's proxy_mode would) and how many asset
    /// requests it served; real Odoo has no such route.
    /// </summary>
    public const string DiagnosticsPath = "/odooaspire-stand-in/diagnostics";
}
