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

        var error = Assert.Throws<MissingPrerequisiteException>(() => OdooSource.Locate(missing, python: null));

        Assert.Contains(OdooSettings.SourcePathKey, error.Message);
        Assert.Contains("Odoo 18", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_missing_Python_module_is_one_line_naming_the_Debian_package()
    {
        var tree = Directory.CreateTempSubdirectory("odoo-tree-");
        try
        {
            File.WriteAllText(Path.Combine(tree.FullName, "odoo-bin"), "");
            Directory.CreateDirectory(Path.Combine(tree.FullName, "addons", "web"));
            // An interpreter that finds every module but gevent and redis.
            var python = Path.Combine(tree.FullName, "python3");
            File.WriteAllText(python, "#!/bin/sh\necho gevent redis\n");
            File.SetUnixFileMode(python, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var error = Assert.Throws<MissingPrerequisiteException>(() => OdooSource.Locate(tree.FullName, python));

            Assert.Contains("gevent, redis", error.Message);
            Assert.EndsWith("apt-get install python3-gevent python3-redis", error.Message);
            Assert.DoesNotContain('\n', error.Message);
        }
        finally
        {
            tree.Delete(recursive: true);
        }
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
