namespace Microsoft.Extensions.Hosting;

/// <summary>The meter and activity source every OdooAspire service publishes its own instruments on.</summary>
public static class Telemetry
{
    public const string MeterName = "OdooAspire";
    public const string ActivitySourceName = "OdooAspire";
}
