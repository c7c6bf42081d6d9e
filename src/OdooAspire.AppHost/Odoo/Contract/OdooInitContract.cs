namespace OdooAspire.Odoo;

/// <summary>What the odoo-init resource is given besides its odoo.conf, in both runtimes.</summary>
public static class OdooInitContract
{
    /// <summary>The password the <c>admin</c> user (uid 2) gets at initialisation, from the odoo-admin-password parameter.</summary>
    public const string AdminPasswordVariable = "ODOOASPIRE_ADMIN_PASSWORD";

    /// <summary>The stand-in's argument that makes it initialise the database and exit instead of serving.</summary>
    public const string StandInInitArgument = "init";

    /// <summary>
    /// How a node is given its conf, as odoo-bin spells it. One argument on purpose: <c>dotnet run</c>, which starts
    /// the stand-in, would take a separate <c>-c</c> for its own --configuration.
    /// </summary>
    public const string ConfigOption = "--config=";

    /// <summary>The admin user's id in a freshly initialised Odoo database.</summary>
    public const int AdminUid = 2;

    public const string AdminLogin = "admin";
}
