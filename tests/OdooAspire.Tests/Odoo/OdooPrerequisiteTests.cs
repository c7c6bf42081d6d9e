using Microsoft.Extensions.Configuration;
using OdooAspire.AppHost.Odoo;
using OdooAspire.AppHost.Runtime;

namespace OdooAspire.Tests.Odoo;

public sealed class OdooPrerequisiteTests
{
    [Fact]
    public void A_source_path_that_is_not_an_Odoo_tree_is_one_line_naming_the_setting()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-odoo-{Guid.NewGuid():N}");

        var error = Assert.Throws<MissingPrerequisiteException>(() => OdooSource.Locate(missing, checkPython: false));

        Assert.Contains(OdooSettings.SourcePathKey, error.Message);
        Assert.Contains("Odoo 18", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("OdooAspire:OdooNodes", "0")]
    [InlineData("Odoo:Workers", "0")]
    [InlineData("Odoo:CronThreads", "-1")]
    [InlineData("Odoo:Database", "Bad-Name")]
    public void A_bad_cluster_setting_is_refused_with_a_message_naming_it(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build();

        var error = Assert.Throws<MissingPrerequisiteException>(() => OdooSettings.From(configuration));

        Assert.StartsWith($"{key}={value}", error.Message);
    }
}
