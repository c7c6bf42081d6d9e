namespace OdooAspire.Tests.Edge;

public sealed class HeadlessChromiumTests
{
    [Fact]
    public void Without_chromium_the_browser_test_fails_naming_the_package_to_install()
    {
        var empty = Directory.CreateTempSubdirectory("odooaspire-no-chromium-");
        try
        {
            var failure = Assert.Throws<Xunit.Sdk.XunitException>(() => HeadlessChromium.Locate([empty.FullName]));

            Assert.Contains("apt-get install chromium", failure.Message);
        }
        finally
        {
            empty.Delete();
        }
    }
}
